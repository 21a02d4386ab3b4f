/* The system clock and random UUIDs (getrandom) for the catalog env port. */
#pragma once

#include "catalog-ports.h"

struct catalog_env catalog_env_system(void);
