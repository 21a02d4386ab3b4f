/* The codec port over proto_json (protobuf's C++ JSON mapping). */
#pragma once

#include "gateway-ports.h"

struct gateway_codec gateway_codec_protobuf(struct proto_json *pj);
