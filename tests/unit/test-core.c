/* Unit tests for libs/core: arena, configuration, UTF-8, JSON log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/forwarded.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "core/listing.h"
#include "core/page.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/utf8.h"
#include "core/random.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void arena_allocates_aligned_memory_until_its_cap(void **state)
{
        struct arena *a;
        assert_int_equal(arena_new(&a, 64 * 1024), 0);
        char *p = arena_alloc(a, 3), *q = arena_alloc(a, 5);
        assert_non_null(p);
        assert_non_null(q);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_int_equal((uintptr_t)q % 16, 0);
        assert_true(q - p >= 16);
        /* a large block, bigger than any chunk so far */
        assert_non_null(arena_alloc(a, 40 * 1024));
        assert_null(arena_alloc(a, 40 * 1024)); /* would pass the cap */
        assert_true(arena_used(a) <= 64 * 1024);
        arena_reset(a);
        assert_int_equal(arena_used(a), 0);
        assert_non_null(arena_alloc(a, 40 * 1024));
        arena_free(a);
        arena_free(NULL);
}

/* A recycled arena keeps its largest chunk within the bound, so the same
 * work again needs no new chunk; larger chunks are let go. */
static void arena_recycle_keeps_the_largest_chunk_within_the_bound(void **state)
{
        (void)state;
        struct arena *a;
        assert_int_equal(arena_new(&a, 1 << 20), 0);
        assert_non_null(arena_alloc(a, 3000));
        assert_non_null(arena_alloc(a, 11000));
        assert_non_null(arena_alloc(a, 20000));
        size_t grown = arena_reserved(a);
        assert_true(grown > 32000);
        arena_recycle(a, 64 << 10);
        assert_int_equal(arena_used(a), 0);
        size_t kept = arena_reserved(a);
        assert_true(kept >= 20000 && kept < grown);
        assert_non_null(arena_alloc(a, 20000)); /* fits: nothing new */
        assert_int_equal(arena_reserved(a), kept);
        assert_non_null(arena_alloc(a, 200000));
        arena_recycle(a, 64 << 10); /* the 200 KB chunk goes */
        assert_int_equal(arena_reserved(a), kept);
        arena_recycle(a, 1000); /* nothing small enough: all go */
        assert_int_equal(arena_reserved(a), 0);
        assert_non_null(arena_alloc(a, 10));
        arena_free(a);
}

static void arena_strings_and_printf(void **state)
{
        struct arena *a;
        assert_int_equal(arena_new(&a, 4096), 0);
        assert_string_equal(arena_strdup(a, "book"), "book");
        assert_string_equal(arena_strndup(a, "bookstore", 4), "book");
        assert_string_equal(arena_printf(a, "%s-%d", "order", 42), "order-42");
        char *z = arena_zalloc(a, 100);
        for (int i = 0; i < 100; i++)
                assert_int_equal(z[i], 0);
        assert_null(arena_alloc(a, SIZE_MAX - 8)); /* no overflow */
        arena_free(a);
}

static void config_reads_defaults_values_and_reports_errors(void **state)
{
        struct cfg_error err = {{0}};
        long n;
        unsetenv("T_INT");
        assert_int_equal(cfg_int("T_INT", 7, 1, 10, &n, &err), 0);
        assert_int_equal(n, 7);
        setenv("T_INT", "9", 1);
        assert_int_equal(cfg_int("T_INT", 7, 1, 10, &n, &err), 0);
        assert_int_equal(n, 9);
        const char *bad[] = {"11", "0", "abc", "5x", "-"};
        for (size_t i = 0; i < 5; i++) {
                setenv("T_INT", bad[i], 1);
                assert_int_equal(cfg_int("T_INT", 7, 1, 10, &n, &err), -EINVAL);
                assert_non_null(strstr(err.message, "T_INT: expected an integer from 1 to 10"));
        }
        setenv("T_BOOL", "Yes", 1);
        bool b = false;
        assert_int_equal(cfg_bool("T_BOOL", false, &b, &err), 0);
        assert_true(b);
        setenv("T_BOOL", "maybe", 1);
        assert_int_equal(cfg_bool("T_BOOL", false, &b, &err), -EINVAL);
        assert_string_equal(err.message,
                            "T_BOOL: expected true/false, yes/no, on/off or 1/0, got 'maybe'");
        size_t sz;
        setenv("T_SIZE", "64K", 1);
        assert_int_equal(cfg_size("T_SIZE", 1, 1, 1 << 20, &sz, &err), 0);
        assert_int_equal(sz, 65536);
        setenv("T_SIZE", "2G", 1);
        assert_int_equal(cfg_size("T_SIZE", 1, 1, 1 << 20, &sz, &err), -EINVAL);
        setenv("T_SIZE", "-1", 1);
        assert_int_equal(cfg_size("T_SIZE", 1, 1, 1 << 20, &sz, &err), -EINVAL);
        const char *s;
        setenv("T_STR", "", 1); /* empty means unset */
        assert_int_equal(cfg_string("T_STR", "dflt", &s, &err), 0);
        assert_string_equal(s, "dflt");
}

static void utf8_accepts_valid_and_rejects_invalid(void **state)
{
        const char *good[] = {"",
                              "ascii",
                              "h\xc3\xa9llo",
                              "\xe2\x9c\x93",
                              "\xf0\x9f\x93\x9a",
                              "\xf4\x8f\xbf\xbf"};
        for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
                assert_true(utf8_valid(good[i], strlen(good[i])));
        const char *bad[] = {
                "\xc3\x28",         /* bad continuation */
                "\xc0\xaf",         /* overlong '/' */
                "\xe0\x80\xaf",     /* overlong */
                "\xed\xa0\x80",     /* surrogate */
                "\xf4\x90\x80\x80", /* > U+10FFFF */
                "\xff",
                "\xe2\x9c", /* truncated */
                "\x80",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                assert_false(utf8_valid(bad[i], strlen(bad[i])));
}

static void the_env_port_has_a_settable_fake_and_the_system(void **state)
{
        struct core_env_fake f = {.now_ms = 1700000000123, .rng = 42};
        struct core_env fake = core_env_fake(&f);
        assert_int_equal(core_env_now_ms(&fake), 1700000000123);
        assert_int_equal(core_env_now_s(&fake), 1700000000);
        f.now_ms += 5000;
        assert_int_equal(core_env_now_s(&fake), 1700000005);
        char a[37], b[37];
        core_env_new_id(&fake, a);
        core_env_new_id(&fake, b);
        assert_string_equal(a, "00000000-0000-4000-8000-000000000001");
        assert_string_equal(b, "00000000-0000-4000-8000-000000000002");
        unsigned char r1[16], r2[16];
        struct core_env_fake g = {.rng = 42};
        core_env_random(&fake, r1, sizeof(r1));
        struct core_env same_seed = core_env_fake(&g);
        core_env_random(&same_seed, r2, sizeof(r2));
        assert_memory_equal(r1, r2, sizeof(r1)); /* the same seed, the same bytes */
        for (int i = 0; i < 100; i++) {
                double j = core_env_jitter(&fake);
                assert_true(j >= 0 && j < 1);
        }
        struct core_env sys = core_env_system();
        int64_t now = core_env_now_ms(&sys);
        assert_true(now > 1700000000000 && now - clock_realtime_ms() <= 0);
        core_env_new_id(&sys, a);
        core_env_new_id(&sys, b);
        assert_int_equal(strlen(a), 36);
        assert_int_equal(a[14], '7'); /* version 7: time-ordered */
        assert_true(strchr("89ab", a[19]) != NULL);
        assert_string_not_equal(a, b);
        /* 1700000000000 ms = 0x018bcfe56800: the time leads, so later ids sort after */
        random_uuid7(a, 1700000000000);
        random_uuid7(b, 1700000000001);
        assert_memory_equal(a, "018bcfe5-6800-7", 15);
        assert_memory_equal(b, "018bcfe5-6801-7", 15);
        assert_true(strcmp(a, b) < 0);
}

static void utf8_sanitize_cuts_and_replaces(void **state)
{
        /* "é" cut after its first byte, as a 200-byte cut of a message does */
        char cut[] = "stock for caf\xc3";
        utf8_sanitize(cut);
        assert_string_equal(cut, "stock for caf");
        char cut3[] = "x\xe2\x82"; /* two bytes of a three-byte euro sign */
        utf8_sanitize(cut3);
        assert_string_equal(cut3, "x");
        char bad[] = "a\xff"
                     "b\xc0\xaf"
                     "c\xed\xa0\x80"; /* stray, overlong, surrogate */
        utf8_sanitize(bad);
        assert_true(utf8_valid(bad, strlen(bad)));
        assert_string_equal(bad, "a?b??c???");
        char good[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9a";
        utf8_sanitize(good);
        assert_string_equal(good, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9a");
}

static void utf8_text_and_line_checks(void **state)
{
        (void)state;
        assert_true(utf8_text_ok("caf\xc3\xa9", 4, 4, false)); /* 4 characters, 5 bytes */
        assert_false(utf8_text_ok("caf\xc3\xa9", 5, 10, false));
        assert_false(utf8_text_ok("", 1, 10, false));
        assert_true(utf8_text_ok("", 0, 10, false));
        assert_true(utf8_text_ok("two\nlines\tok", 1, 20, true));
        assert_false(utf8_text_ok("two\nlines", 1, 20, false));
        assert_false(utf8_text_ok("bell\a", 1, 20, true));
        assert_false(utf8_text_ok("del\x7f", 1, 20, true));
        assert_false(utf8_text_ok("bad \xc3", 1, 20, true));
        assert_false(utf8_text_ok(NULL, 0, 20, true));
        assert_true(utf8_line_ok("a reason", 8));
        assert_false(utf8_line_ok("a reason", 7));
        assert_false(utf8_line_ok("", 8));
        assert_false(utf8_line_ok(NULL, 8));
        assert_false(utf8_line_ok("two\nlines", 20));
        assert_false(utf8_line_ok("bad \xff", 20));
}

static void page_tokens_and_sizes(void **state)
{
        (void)state;
        int64_t seq = 99;
        char token[32];
        assert_int_equal(page_token_parse(NULL, 'o', &seq), 0);
        assert_int_equal(seq, 0);
        assert_int_equal(page_token_parse("", 'o', &seq), 0);
        page_token_format('o', 42, token);
        assert_string_equal(token, "o42");
        assert_int_equal(page_token_parse(token, 'o', &seq), 0);
        assert_int_equal(seq, 42);
        assert_int_equal(page_token_parse("o0", 'o', &seq), 0);
        assert_int_equal(page_token_parse("b42", 'o', &seq), -1); /* another listing's */
        assert_int_equal(page_token_parse("o", 'o', &seq), -1);
        assert_int_equal(page_token_parse("o-1", 'o', &seq), -1);
        assert_int_equal(page_token_parse("o4x", 'o', &seq), -1);
        int64_t rank = 5;
        char pair[48];
        assert_int_equal(page_token_parse_pair("", 'h', &rank, &seq), 0);
        assert_true(rank == 0 && seq == 0);
        page_token_format_pair('h', 12, 345, pair);
        assert_string_equal(pair, "h12.345");
        assert_int_equal(page_token_parse_pair(pair, 'h', &rank, &seq), 0);
        assert_true(rank == 12 && seq == 345);
        const char *bad_pairs[] = {"h12",   "h.3",   "h1.",  "h1.2x", "h-1.2",
                                   "h1.-2", "h 1.2", "n1.2", "h1.+2", "h99999999999999999999.1"};
        for (size_t i = 0; i < sizeof(bad_pairs) / sizeof(bad_pairs[0]); i++)
                assert_int_equal(page_token_parse_pair(bad_pairs[i], 'h', &rank, &seq), -1);
        assert_int_equal(page_size_clamp(0, 20, 100), 20);
        assert_int_equal(page_size_clamp(-3, 20, 100), 20);
        assert_int_equal(page_size_clamp(7, 20, 100), 7);
        assert_int_equal(page_size_clamp(1000, 20, 100), 100);
        char key[PAGE_KEY_MAX], keyed[PAGE_KEY_MAX + 1];
        page_token_format_key('p', "order-7f3a", keyed);
        assert_string_equal(keyed, "porder-7f3a");
        assert_int_equal(page_token_parse_key(keyed, 'p', key), 0);
        assert_string_equal(key, "order-7f3a");
        assert_int_equal(page_token_parse_key("", 'p', key), 0);
        assert_string_equal(key, "");
        assert_int_equal(page_token_parse_key("rorder-7f3a", 'p', key), -1); /* another listing */
        assert_int_equal(page_token_parse_key("pwith space", 'p', key), -1);
        assert_int_equal(page_token_parse_key("p", 'p', key), -1);
}

static char thread_ids[4][64][33];

static void *make_trace_ids(void *arg)
{
        char(*ids)[33] = arg;
        for (int i = 0; i < 64; i++)
                random_trace_id(ids[i]);
        return NULL;
}

/* Trace ids are W3C-shaped and do not repeat, within a thread or across threads. */
static void trace_ids_are_well_formed_and_distinct(void **state)
{
        (void)state;
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, make_trace_ids, thread_ids[i]);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        const char *all = &thread_ids[0][0][0];
        for (int a = 0; a < 4 * 64; a++) {
                const char *id = all + 33 * a;
                assert_int_equal(strlen(id), 32);
                assert_int_equal(strspn(id, "0123456789abcdef"), 32);
                for (int b = 0; b < a; b++)
                        assert_string_not_equal(id, all + 33 * b);
        }
}

/* stderr into a temporary file while a test logs, then read back. */
struct captured {
        char path[32];
        int fd, saved;
};

static void capture_stderr(struct captured *c)
{
        snprintf(c->path, sizeof(c->path), "/tmp/bookstore-log-XXXXXX");
        c->fd = mkstemp(c->path);
        assert_true(c->fd >= 0);
        c->saved = dup(STDERR_FILENO);
        dup2(c->fd, STDERR_FILENO);
}

static FILE *captured_lines(struct captured *c)
{
        log_flush(); /* what the background writer (when started) still holds */
        dup2(c->saved, STDERR_FILENO);
        close(c->saved);
        FILE *f = fopen(c->path, "r");
        assert_non_null(f);
        return f;
}

static void captured_done(struct captured *c, FILE *f)
{
        fclose(f);
        close(c->fd);
        unlink(c->path);
}

/* Lines that log_emit_flat writes parse as JSON with exactly the fields given. */
static void flat_lines_are_the_same_json(void **state)
{
        (void)state;
        struct captured cap;
        capture_stderr(&cap);
        log_set_service("unit");
        char long_text[6000];
        memset(long_text, 'x', sizeof(long_text) - 1);
        long_text[sizeof(long_text) - 1] = '\0';
        const struct log_field fields[] = {
                {.key = "method", .text = "/a.B/C \"q\" \\ \n\t\x01 \xc3\xa9"},
                {.key = "status", .number = 14},
                {.key = "duration_ms", .number = 2, .is_real = true},
                {.key = "ratio", .number = 0.1234567, .is_real = true},
                {.key = "bad", .text = "\xff\xfe"},
        };
        log_set_trace_id("0123456789abcdef0123456789abcdef");
        log_emit_flat(LOG_WARN, "rpc", fields, 5);
        log_set_trace_id(NULL);
        log_emit_flat(LOG_DEBUG, "hidden", fields, 1);
        const struct log_field big[] = {{.key = "long", .text = long_text}};
        log_emit_flat(LOG_INFO, "big", big, 1); /* past the buffer: through jansson */
        FILE *f = captured_lines(&cap);
        static char line[8192];
        json_error_t jerr;
        assert_non_null(fgets(line, sizeof(line), f));
        json_t *j = json_loads(line, 0, &jerr);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
        assert_string_equal(json_string_value(json_object_get(j, "msg")), "rpc");
        assert_string_equal(json_string_value(json_object_get(j, "method")),
                            "/a.B/C \"q\" \\ \n\t\x01 \xc3\xa9");
        assert_true(json_is_integer(json_object_get(j, "status")));
        assert_int_equal(json_integer_value(json_object_get(j, "status")), 14);
        assert_true(json_is_real(json_object_get(j, "duration_ms")));
        assert_true(json_real_value(json_object_get(j, "ratio")) > 0.12345 &&
                    json_real_value(json_object_get(j, "ratio")) < 0.12346);
        assert_string_equal(json_string_value(json_object_get(j, "bad")), "\xc3\xbf\xc3\xbe");
        assert_string_equal(json_string_value(json_object_get(j, "trace_id")),
                            "0123456789abcdef0123456789abcdef");
        assert_int_equal(json_object_size(j), 10); /* ts level service msg + 5 + trace_id */
        json_decref(j);
        assert_non_null(fgets(line, sizeof(line), f));
        j = json_loads(line, 0, &jerr);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "msg")), "big");
        assert_int_equal(strlen(json_string_value(json_object_get(j, "long"))), 5999);
        json_decref(j);
        assert_null(fgets(line, sizeof(line), f));
        captured_done(&cap, f);
}

/* Numbers as the access log writes them: integers plainly, reals with six
 * significant digits and always a fraction (so jansson reads a real). */
static void flat_numbers_are_plain_text(void **state)
{
        (void)state;
        struct captured cap;
        capture_stderr(&cap);
        const struct log_field fields[] = {
                {.key = "a", .number = 0.0005, .is_real = true},
                {.key = "b", .number = 2, .is_real = true},
                {.key = "c", .number = 1.23456, .is_real = true},
                {.key = "d", .number = -3},
                {.key = "e", .number = 1e12, .is_real = true},
                {.key = "f", .number = 0},
                {.key = "g", .number = 12.5, .is_real = true},
                {.key = "h", .number = 9.9999999, .is_real = true},
                {.key = "i", .number = 123456.78, .is_real = true},
        };
        log_emit_flat(LOG_INFO, "n", fields, 9);
        FILE *f = captured_lines(&cap);
        char line[1024];
        assert_non_null(fgets(line, sizeof(line), f));
        assert_non_null(strstr(line, "\"a\":0.0005,\"b\":2.0,\"c\":1.23456,\"d\":-3,\"e\":1e+12,"
                                     "\"f\":0,\"g\":12.5,\"h\":10.0,\"i\":123456.8}"));
        /* "2026-12-07T12:48:12.345Z" */
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        assert_non_null(j);
        const char *ts = json_string_value(json_object_get(j, "ts"));
        assert_int_equal(strlen(ts), 24);
        assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[23] == 'Z');
        json_decref(j);
        captured_done(&cap, f);
}

static int count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        int n = 0;
        for (int ch; (ch = fgetc(f)) != EOF;)
                n += ch == '\n';
        fclose(f);
        return n;
}

/* With the background writer, INFO lines are queued; a WARN line is written
 * at once after them; a queue overrun writes rather than drops; every line
 * comes out once and in order. */
static void background_writer_keeps_every_line_in_order(void **state)
{
        (void)state;
        struct captured cap;
        capture_stderr(&cap);
        assert_int_equal(log_start_background_writer(), 0);
        for (int i = 0; i < 3; i++) {
                const struct log_field fields[] = {{.key = "n", .number = i}};
                log_emit_flat(LOG_INFO, "queued", fields, 1);
        }
        const struct log_field warn[] = {{.key = "n", .number = 3}};
        log_emit_flat(LOG_WARN, "at once", warn, 1);
        assert_int_equal(count_lines(cap.path), 4); /* no flush: the warning pushed them out */
        static char padding[300];
        memset(padding, 'p', sizeof(padding) - 1);
        enum { MANY = 2000 }; /* ~750 KB: several times the queue */
        for (int i = 4; i < 4 + MANY; i++) {
                const struct log_field fields[] = {{.key = "n", .number = i},
                                                   {.key = "pad", .text = padding}};
                log_emit_flat(LOG_INFO, "many", fields, 2);
        }
        FILE *f = captured_lines(&cap);
        static char line[2048];
        int n = 0;
        json_error_t jerr;
        while (fgets(line, sizeof(line), f)) {
                json_t *j = json_loads(line, 0, &jerr);
                assert_non_null(j);
                assert_int_equal(json_integer_value(json_object_get(j, "n")), n);
                json_decref(j);
                n++;
        }
        assert_int_equal(n, 4 + MANY);
        captured_done(&cap, f);
}

static void log_writes_one_json_object_per_line(void **state)
{
        struct captured cap;
        capture_stderr(&cap);
        log_set_service("unit");
        log_msg(LOG_INFO, "hello", "{s:s, s:i}", "book", "Dune \"1965\"", "n", 3);
        log_msg(LOG_DEBUG, "hidden", NULL); /* below the default level */
        log_emit(LOG_ERROR, "bare", NULL);
        FILE *f = captured_lines(&cap);
        char line[512];
        json_error_t jerr;
        assert_non_null(fgets(line, sizeof(line), f));
        json_t *j = json_loads(line, 0, &jerr);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "msg")), "hello");
        assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
        assert_string_equal(json_string_value(json_object_get(j, "service")), "unit");
        assert_string_equal(json_string_value(json_object_get(j, "book")), "Dune \"1965\"");
        assert_int_equal(json_integer_value(json_object_get(j, "n")), 3);
        assert_int_equal(strlen(json_string_value(json_object_get(j, "ts"))), 24);
        json_decref(j);
        assert_non_null(fgets(line, sizeof(line), f));
        j = json_loads(line, 0, &jerr);
        assert_string_equal(json_string_value(json_object_get(j, "msg")), "bare");
        json_decref(j);
        assert_null(fgets(line, sizeof(line), f));
        captured_done(&cap, f);
        enum log_level lvl;
        assert_int_equal(log_level_from_string("warn", &lvl), 0);
        assert_int_equal(lvl, LOG_WARN);
        assert_int_equal(log_level_from_string("loud", &lvl), -EINVAL);
}

struct listed_row {
        char key[16];
        int status;
        int64_t updated;
};

static const char *listed_key(const void *rows, size_t i)
{
        return ((const struct listed_row *)rows)[i].key;
}

static void listings_filter_select_and_page(void **state)
{
        const struct listed_row rows[] = {
                {"o3", 2, 50}, {"o1", 1, 10}, {"o5", 2, 70}, {"o2", 2, 30}, {"o4", 1, 90}};
        const struct listing_row_shape shape = {.size = sizeof(struct listed_row),
                                                .key = offsetof(struct listed_row, key),
                                                .status = offsetof(struct listed_row, status),
                                                .updated = offsetof(struct listed_row, updated)};
        struct listing_filter f;
        struct listed_row out[8];
        char next[PAGE_KEY_MAX + 1];
        /* pages of two, in key order, each row once */
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, 0, 2, "", 'x'), LISTING_OK);
        size_t n = listing_select(&f, rows, 5, &shape, out);
        assert_int_equal(n, 3); /* one more than the page: there is another */
        assert_int_equal(listing_page(&f, n, listed_key, out, 'x', next), 2);
        assert_string_equal(out[0].key, "o1");
        assert_string_equal(out[1].key, "o2");
        assert_string_equal(next, "xo2");
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, 0, 2, next, 'x'), LISTING_OK);
        n = listing_page(&f, listing_select(&f, rows, 5, &shape, out), listed_key, out, 'x', next);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].key, "o3");
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, 0, 2, next, 'x'), LISTING_OK);
        n = listing_page(&f, listing_select(&f, rows, 5, &shape, out), listed_key, out, 'x', next);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].key, "o5");
        assert_string_equal(next, ""); /* the last page */
        /* by status, by ids, changed since */
        const char *ids[] = {"o4", "o5", "o9"};
        assert_int_equal(listing_filter_init(&f, 2, ids, 3, 0, 0, "", 'x'), LISTING_OK);
        assert_int_equal(listing_select(&f, rows, 5, &shape, out), 1);
        assert_string_equal(out[0].key, "o5");
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, 60, 0, "", 'x'), LISTING_OK);
        assert_int_equal(listing_select(&f, rows, 5, &shape, out), 2); /* o4, o5 */
        assert_string_equal(out[0].key, "o4");
        /* refusals */
        const char *bad[] = {"with space"};
        assert_int_equal(listing_filter_init(&f, 0, bad, 1, 0, 0, "", 'x'), LISTING_IDS_INVALID);
        assert_int_equal(listing_filter_init(&f, 0, ids, LISTING_MAX_IDS + 1, 0, 0, "", 'x'),
                         LISTING_IDS_INVALID);
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, -1, 0, "", 'x'),
                         LISTING_SINCE_INVALID);
        assert_int_equal(listing_filter_init(&f, 0, NULL, 0, 0, 0, "yo2", 'x'),
                         LISTING_TOKEN_INVALID);
}

/* Sizes near SIZE_MAX are refused, never wrapped into a small allocation
 * that a copy then overruns. */
static void arena_sizes_never_wrap(void **state)
{
        struct arena *a;
        assert_int_equal(arena_new(&a, SIZE_MAX), 0); /* no budget to stop them first */
        assert_non_null(arena_alloc(a, 100));
        assert_null(arena_alloc(a, SIZE_MAX));
        assert_null(arena_alloc(a, SIZE_MAX - 8));
        assert_null(arena_alloc(a, SIZE_MAX - 100)); /* used + size would wrap */
        assert_null(arena_strndup(a, "x", SIZE_MAX));
        assert_non_null(arena_alloc(a, 100)); /* still usable */
        arena_free(a);
}

/* One rule for who the client is behind proxies (gateway and identity): a
 * trusted peer's X-Forwarded-For names it, right-most untrusted entry first;
 * anyone else's header is ignored; CIDR blocks work for IPv4 and IPv6. */
static void the_client_behind_trusted_proxies(void **state)
{
        char out[64];
        const char *trusted = "127.0.0.1, 10.42.0.0/16,fd00::/8";
        assert_true(forwarded_trusted(trusted, "10.42.7.9", 9));
        assert_false(forwarded_trusted(trusted, "10.43.0.1", 9));
        assert_true(forwarded_trusted(trusted, "fd12::1", 7));
        assert_false(forwarded_trusted(trusted, "fe80::1", 7));
        assert_false(forwarded_trusted(trusted, "not-an-ip", 9));
        assert_false(forwarded_trusted("10.0.0.0/33", "10.0.0.1", 8));
        forwarded_client("10.42.0.5", "203.0.113.9, 198.51.100.7, 10.42.0.9", trusted, out,
                         sizeof(out));
        assert_string_equal(out, "198.51.100.7"); /* the left ones are the client's words */
        forwarded_client("192.0.2.1", "198.51.100.7", trusted, out, sizeof(out));
        assert_string_equal(out, "192.0.2.1"); /* not a proxy: its header is ignored */
        forwarded_client("127.0.0.1", NULL, trusted, out, sizeof(out));
        assert_string_equal(out, "127.0.0.1");
        forwarded_client("127.0.0.1", " 10.42.1.1 ,127.0.0.1", trusted, out, sizeof(out));
        assert_string_equal(out, "10.42.1.1"); /* all trusted: the left-most */
        forwarded_client("127.0.0.1", "198.51.100.7", "", out, sizeof(out));
        assert_string_equal(out, "127.0.0.1"); /* no proxies: nobody's header */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(listings_filter_select_and_page),
                cmocka_unit_test(arena_allocates_aligned_memory_until_its_cap),
                cmocka_unit_test(arena_recycle_keeps_the_largest_chunk_within_the_bound),
                cmocka_unit_test(arena_strings_and_printf),
                cmocka_unit_test(config_reads_defaults_values_and_reports_errors),
                cmocka_unit_test(utf8_accepts_valid_and_rejects_invalid),
                cmocka_unit_test(utf8_sanitize_cuts_and_replaces),
                cmocka_unit_test(utf8_text_and_line_checks),
                cmocka_unit_test(the_env_port_has_a_settable_fake_and_the_system),
                cmocka_unit_test(log_writes_one_json_object_per_line),
                cmocka_unit_test(flat_lines_are_the_same_json),
                cmocka_unit_test(flat_numbers_are_plain_text),
                cmocka_unit_test(trace_ids_are_well_formed_and_distinct),
                cmocka_unit_test(page_tokens_and_sizes),
                cmocka_unit_test(the_client_behind_trusted_proxies),
                cmocka_unit_test(arena_sizes_never_wrap),
                /* last: the writer, once started, stays for the process */
                cmocka_unit_test(background_writer_keeps_every_line_in_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
