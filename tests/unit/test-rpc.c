/*
 * test-rpc.c - unit tests of the JSON-RPC 2.0 envelopes (proto/rpc.c).
 *
 * Every way a request or a response can be malformed gets its error and
 * its description; the builders are checked against the exact bytes they
 * encode to, since that is what a peer sees.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "proto.h"

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	cr_assert(ne(ptr, v, NULL), "bad test JSON %s: %s", text, err.text);
	return v;
}

/* Encode msg and compare with the exact line expected (without '\n'). */
static void expect_encoding(const json_t *msg, const char *want)
{
	size_t len = 0;
	char *line = mpd_rpc_encode(msg, &len);

	cr_assert(ne(ptr, line, NULL));
	cr_assert(eq(sz, len, strlen(want) + 1));
	cr_assert(eq(chr, line[len - 1], '\n'));
	cr_assert(eq(chr, line[len], '\0'));
	line[len - 1] = '\0';
	cr_assert(eq(str, line, (char *)want));
	free(line);
}

/* parse_request: valid requests */

Test(request, full_request_is_accepted)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":7,"
			   "\"method\":\"daemon.ping\",\"params\":{\"a\":1}}");
	struct mpd_rpc_request req;
	const char *why = "unset";

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why), 0));
	cr_assert(eq(str, (char *)req.method, "daemon.ping"));
	cr_assert(eq(ptr, req.id, json_object_get(msg, "id")));
	cr_assert(eq(ptr, req.params, json_object_get(msg, "params")));
	cr_assert(eq(ptr, (void *)why, NULL));
	json_decref(msg);
}

Test(request, notification_has_no_id)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}");
	struct mpd_rpc_request req;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why), 0));
	cr_assert(eq(ptr, req.id, NULL));
	cr_assert(eq(ptr, req.params, NULL));
	cr_assert(eq(str, (char *)req.method, "m"));
	json_decref(msg);
}

/* Criterion runs each parameter in a fresh process: no pointers in them. */
struct good_id {
	char json[128];
	json_type type;
};

ParameterizedTestParameters(request, id_kinds_are_accepted)
{
	static struct good_id cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":\"abc\"}",
		  JSON_STRING },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":0}",
		  JSON_INTEGER },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":-5}",
		  JSON_INTEGER },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":null}",
		  JSON_NULL },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1,"
		  "\"params\":[1,2]}",
		  JSON_INTEGER },
	};

	return cr_make_param_array(struct good_id, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct good_id *c, request, id_kinds_are_accepted)
{
	json_t *msg = load(c->json);
	struct mpd_rpc_request req;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why), 0), "%s",
		  c->json);
	cr_assert(ne(ptr, req.id, NULL));
	cr_assert(eq(int, json_typeof(req.id), c->type));
	json_decref(msg);
}

/* parse_request: every envelope error */

struct bad_request {
	char json[128];
	char why[64];
	bool id_found; /* req.id must be set despite the error */
};

ParameterizedTestParameters(request, bad_requests_are_invalid)
{
	static struct bad_request cases[] = {
		{ "[]", "request must be an object", false },
		{ "[{\"jsonrpc\":\"2.0\",\"method\":\"m\"}]",
		  "request must be an object", false },
		{ "1", "request must be an object", false },
		{ "\"x\"", "request must be an object", false },
		{ "null", "request must be an object", false },
		{ "{\"method\":\"m\",\"id\":1}", "\"jsonrpc\" must be \"2.0\"",
		  true },
		{ "{\"jsonrpc\":\"1.0\",\"method\":\"m\"}",
		  "\"jsonrpc\" must be \"2.0\"", false },
		{ "{\"jsonrpc\":2.0,\"method\":\"m\"}",
		  "\"jsonrpc\" must be \"2.0\"", false },
		{ "{\"jsonrpc\":\"2.0 \",\"method\":\"m\"}",
		  "\"jsonrpc\" must be \"2.0\"", false },
		{ "{\"jsonrpc\":\"2\",\"method\":\"m\"}",
		  "\"jsonrpc\" must be \"2.0\"", false },
		{ "{\"jsonrpc\":null,\"method\":\"m\"}",
		  "\"jsonrpc\" must be \"2.0\"", false },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"x\"}", "missing \"method\"",
		  true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":1,\"id\":2}",
		  "\"method\" must be a string", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":null}",
		  "\"method\" must be a string", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":[\"m\"]}",
		  "\"method\" must be a string", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"\"}",
		  "\"method\" must not be empty", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"x\"}",
		  "\"params\" must be an object or an array", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":1,"
		  "\"id\":null}",
		  "\"params\" must be an object or an array", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null}",
		  "\"params\" must be an object or an array", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":true}",
		  "\"params\" must be an object or an array", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.5}",
		  "\"id\" must be a string, an integer or null", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.0}",
		  "\"id\" must be a string, an integer or null", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}",
		  "\"id\" must be a string, an integer or null", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}",
		  "\"id\" must be a string, an integer or null", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[1]}",
		  "\"id\" must be a string, an integer or null", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":3,\"foo\":1}",
		  "unknown member \"foo\" in request", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"result\":1}",
		  "unknown member \"result\" in request", false },
	};

	return cr_make_param_array(struct bad_request, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_request *c, request, bad_requests_are_invalid)
{
	json_t *msg = load(c->json);
	struct mpd_rpc_request req;
	const char *why = NULL;

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why),
		     MPD_RPC_INVALID_REQUEST),
		  "%s", c->json);
	cr_assert(ne(ptr, (void *)why, NULL));
	cr_assert(eq(str, (char *)why, c->why), "%s", c->json);
	if (c->id_found)
		cr_assert(eq(ptr, req.id, json_object_get(msg, "id")), "%s",
			  c->json);
	else
		cr_assert(eq(ptr, req.id, NULL), "%s", c->json);
	cr_assert(eq(ptr, (void *)req.method, NULL));
	json_decref(msg);
}

Test(request, method_with_nul_byte_is_invalid)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":1}");
	struct mpd_rpc_request req;
	const char *why;

	json_object_set_new(msg, "method", json_stringn("a\0b", 3));
	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why),
		     MPD_RPC_INVALID_REQUEST));
	cr_assert(
		eq(str, (char *)why, "\"method\" must not contain a NUL byte"));
	json_decref(msg);
}

Test(request, long_unknown_member_is_cut_on_a_character)
{
	char key[2 + 2 * 40];
	const char *why;
	struct mpd_rpc_request req;
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}");
	json_t *s;

	/* "a" then 40 two-byte characters: byte 64 is mid-character. */
	key[0] = 'a';
	for (int i = 0; i < 40; i++)
		memcpy(key + 1 + 2 * i, "\xc3\xa9", 2);
	key[sizeof(key) - 1] = '\0';
	json_object_set_new(msg, key, json_true());

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why),
		     MPD_RPC_INVALID_REQUEST));
	cr_assert(eq(int, strncmp(why, "unknown member \"a\xc3\xa9", 19), 0));
	cr_assert(ne(ptr, strstr(why, "...\" in request"), NULL));
	/* 'a' and 31 whole characters: 63 bytes of the name. */
	cr_assert(eq(sz, strlen(why),
		     strlen("unknown member \"...\" in request") + 63));
	s = json_string(why);
	cr_assert(ne(ptr, s, NULL), "description is not valid UTF-8");
	json_decref(s);
	json_decref(msg);
}

/* builders */

Test(builders, result_shape)
{
	json_t *id = json_integer(4);
	json_t *msg = mpd_rpc_result_new(id, json_pack("{s:i}", "x", 1));

	cr_assert(ne(ptr, msg, NULL));
	expect_encoding(msg,
			"{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"x\":1}}");
	/* id is borrowed: the message holds its own reference. */
	cr_assert(eq(sz, id->refcount, 2));
	json_decref(msg);
	cr_assert(eq(sz, id->refcount, 1));
	json_decref(id);
}

Test(builders, result_defaults)
{
	json_t *msg = mpd_rpc_result_new(NULL, NULL);

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}");
	json_decref(msg);
}

Test(builders, result_is_stolen)
{
	json_t *result = json_array();
	json_t *msg;

	json_incref(result);
	msg = mpd_rpc_result_new(NULL, result);
	cr_assert(eq(sz, result->refcount, 2));
	json_decref(msg);
	cr_assert(eq(sz, result->refcount, 1));
	json_decref(result);
}

Test(builders, request_shape)
{
	json_t *msg = mpd_rpc_request_new(3, MPD_M_DAEMON_PING, NULL);

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":3,"
			     "\"method\":\"daemon.ping\"}");
	json_decref(msg);
	msg = mpd_rpc_request_new(-1, "queue.put",
				  json_pack("{s:s}", "name", "q"));
	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":-1,"
			     "\"method\":\"queue.put\","
			     "\"params\":{\"name\":\"q\"}}");
	json_decref(msg);
}

Test(builders, request_without_method_fails_and_frees_params)
{
	json_t *params = json_object();

	json_incref(params);
	cr_assert(eq(ptr, mpd_rpc_request_new(1, NULL, params), NULL));
	cr_assert(eq(sz, params->refcount, 1));
	json_decref(params);
}

Test(builders, notification_shape)
{
	json_t *msg = mpd_rpc_notification_new("mpd.event", NULL);

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"mpd.event\"}");
	json_decref(msg);
	msg = mpd_rpc_notification_new("mpd.event", json_pack("[i]", 1));
	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"mpd.event\","
			     "\"params\":[1]}");
	json_decref(msg);
}

Test(builders, built_request_parses_back)
{
	json_t *msg = mpd_rpc_request_new(9, "process.info",
					  json_pack("{s:i}", "id", 2));
	struct mpd_rpc_request req;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_request(msg, &req, &why), 0));
	cr_assert(eq(str, (char *)req.method, "process.info"));
	cr_assert(eq(i64, json_integer_value(req.id), 9));
	json_decref(msg);
}

/* error_new */

Test(error_new, our_code_gets_default_message_and_name)
{
	json_t *id = json_integer(7);
	json_t *msg =
		mpd_rpc_error_new(id, MPD_RPC_METHOD_NOT_FOUND, NULL, NULL);

	expect_encoding(msg,
			"{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":"
			"{\"code\":-32601,\"message\":\"method not found\","
			"\"data\":{\"name\":\"method_not_found\"}}}");
	json_decref(msg);
	json_decref(id);
}

Test(error_new, id_is_borrowed)
{
	json_t *id = json_string("abc");
	json_t *msg = mpd_rpc_error_new(id, MPD_RPC_NOT_FOUND, NULL, NULL);

	cr_assert(eq(sz, id->refcount, 2));
	json_decref(msg);
	cr_assert(eq(sz, id->refcount, 1));
	json_decref(id);
}

Test(error_new, given_message_is_used)
{
	json_t *msg = mpd_rpc_error_new(NULL, MPD_RPC_NOT_FOUND,
					"no process 12", NULL);

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			     "{\"code\":1,\"message\":\"no process 12\","
			     "\"data\":{\"name\":\"not_found\"}}}");
	json_decref(msg);
}

Test(error_new, name_is_added_to_object_data)
{
	json_t *msg = mpd_rpc_error_new(NULL, MPD_RPC_SPAWN_FAILED, NULL,
					json_pack("{s:i,s:s}", "errno", 2,
						  "stage", "exec"));

	expect_encoding(msg,
			"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			"{\"code\":8,\"message\":\"process could not be "
			"started\",\"data\":{\"errno\":2,\"stage\":\"exec\","
			"\"name\":\"spawn_failed\"}}}");
	json_decref(msg);
}

Test(error_new, existing_name_is_not_overwritten)
{
	json_t *msg = mpd_rpc_error_new(NULL, MPD_RPC_LIMIT, NULL,
					json_pack("{s:s}", "name", "mine"));

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			     "{\"code\":9,\"message\":\"limit reached\","
			     "\"data\":{\"name\":\"mine\"}}}");
	json_decref(msg);
}

Test(error_new, non_object_data_is_left_alone)
{
	json_t *msg = mpd_rpc_error_new(NULL, MPD_RPC_INVALID_PARAMS, "bad",
					json_pack("[i]", 1));

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			     "{\"code\":-32602,\"message\":\"bad\","
			     "\"data\":[1]}}");
	json_decref(msg);
	msg = mpd_rpc_error_new(NULL, MPD_RPC_INVALID_PARAMS, "bad",
				json_string("s"));
	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			     "{\"code\":-32602,\"message\":\"bad\","
			     "\"data\":\"s\"}}");
	json_decref(msg);
}

Test(error_new, foreign_code_gets_no_name)
{
	json_t *id = json_integer(1);
	json_t *msg = mpd_rpc_error_new(id, 42, NULL, NULL);

	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
			     "{\"code\":42,\"message\":\"unknown error\"}}");
	json_decref(msg);
	msg = mpd_rpc_error_new(id, -32000, "server error",
				json_pack("{s:i}", "x", 1));
	expect_encoding(msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
			     "{\"code\":-32000,\"message\":\"server error\","
			     "\"data\":{\"x\":1}}}");
	json_decref(msg);
	json_decref(id);
}

Test(error_new, invalid_utf8_message_falls_back_to_default)
{
	json_t *msg = mpd_rpc_error_new(NULL, MPD_RPC_EXISTS, "bad \xff", NULL);

	cr_assert(ne(ptr, msg, NULL));
	cr_assert(eq(str,
		     (char *)json_string_value(json_object_get(
			     json_object_get(msg, "error"), "message")),
		     "object already exists"));
	json_decref(msg);
}

Test(error_new, built_error_parses_back)
{
	json_t *id = json_string("q1");
	json_t *msg = mpd_rpc_error_new(id, MPD_RPC_FULL, NULL, NULL);
	struct mpd_rpc_response resp;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(resp.error);
	cr_assert(eq(int, resp.code, MPD_RPC_FULL));
	cr_assert(eq(str, (char *)resp.message, "full"));
	cr_assert(eq(
		str,
		(char *)json_string_value(json_object_get(resp.data, "name")),
		"full"));
	cr_assert(eq(str, (char *)json_string_value(resp.id), "q1"));
	cr_assert(eq(ptr, resp.result, NULL));
	json_decref(msg);
	json_decref(id);
}

/* parse_response */

Test(response, result_is_accepted)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":[1]}");
	struct mpd_rpc_response resp;
	const char *why = "unset";

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(not(resp.error));
	cr_assert(eq(ptr, resp.result, json_object_get(msg, "result")));
	cr_assert(eq(i64, json_integer_value(resp.id), 5));
	cr_assert(eq(ptr, (void *)resp.message, NULL));
	cr_assert(eq(ptr, resp.data, NULL));
	cr_assert(eq(ptr, (void *)why, NULL));
	json_decref(msg);
}

Test(response, null_result_and_null_id_are_accepted)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}");
	struct mpd_rpc_response resp;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(eq(int, json_is_null(resp.result), 1));
	cr_assert(eq(int, json_is_null(resp.id), 1));
	cr_assert(not(resp.error));
	json_decref(msg);
}

Test(response, error_without_data_is_accepted)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":\"a\","
			   "\"error\":{\"code\":-32700,\"message\":\"m\"}}");
	struct mpd_rpc_response resp;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(resp.error);
	cr_assert(eq(int, resp.code, -32700));
	cr_assert(eq(str, (char *)resp.message, "m"));
	cr_assert(eq(ptr, resp.data, NULL));
	cr_assert(eq(ptr, resp.result, NULL));
	json_decref(msg);
}

struct bad_response {
	char json[128];
	char why[64];
};

ParameterizedTestParameters(response, bad_responses_are_rejected)
{
	static struct bad_response cases[] = {
		{ "[]", "response must be an object" },
		{ "\"x\"", "response must be an object" },
		{ "{\"id\":1,\"result\":1}", "\"jsonrpc\" must be \"2.0\"" },
		{ "{\"jsonrpc\":\"2\",\"id\":1,\"result\":1}",
		  "\"jsonrpc\" must be \"2.0\"" },
		{ "{\"jsonrpc\":\"2.0\",\"result\":1}", "missing \"id\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":1}",
		  "\"id\" must be a string, an integer or null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":false,\"result\":1}",
		  "\"id\" must be a string, an integer or null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":[],\"result\":1}",
		  "\"id\" must be a string, an integer or null" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,"
		  "\"error\":{\"code\":1,\"message\":\"m\"}}",
		  "response has both \"result\" and \"error\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}",
		  "response has neither \"result\" nor \"error\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"result\":1}",
		  "a response must not have \"method\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}",
		  "\"error\" must be an object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":null}",
		  "\"error\" must be an object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"m\"}}",
		  "\"error.code\" must be an integer" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"error\":{\"code\":\"1\",\"message\":\"m\"}}",
		  "\"error.code\" must be an integer" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"error\":{\"code\":1.0,\"message\":\"m\"}}",
		  "\"error.code\" must be an integer" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"error\":{\"code\":4294967296,\"message\":\"m\"}}",
		  "\"error.code\" is out of range" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"error\":{\"code\":-2147483649,\"message\":\"m\"}}",
		  "\"error.code\" is out of range" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}",
		  "\"error.message\" must be a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"error\":{\"code\":1,\"message\":null}}",
		  "\"error.message\" must be a string" },
	};

	return cr_make_param_array(struct bad_response, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_response *c, response, bad_responses_are_rejected)
{
	json_t *msg = load(c->json);
	struct mpd_rpc_response resp, before;
	const char *why = NULL;

	memset(&resp, 0xa5, sizeof(resp));
	before = resp;
	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), -EPROTO),
		  "%s", c->json);
	cr_assert(ne(ptr, (void *)why, NULL));
	cr_assert(eq(str, (char *)why, c->why), "%s", c->json);
	/* Out-parameters are written only on success. */
	cr_assert(eq(int, memcmp(&resp, &before, sizeof(resp)), 0));
	json_decref(msg);
}

Test(response, unknown_members_are_ignored_for_forward_compatibility)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":2,"
			   "\"x\":3}");
	json_t *err = load("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{"
			   "\"code\":1,\"message\":\"m\",\"extra\":1}}");
	struct mpd_rpc_response resp;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(eq(int, json_integer_value(resp.result), 2));
	cr_assert(eq(int, mpd_rpc_parse_response(err, &resp, &why), 0));
	cr_assert(eq(int, resp.code, 1));
	cr_assert(eq(int, resp.error, 1));
	json_decref(msg);
	json_decref(err);
}

Test(response, extreme_int_codes_are_accepted)
{
	json_t *msg = load("{\"jsonrpc\":\"2.0\",\"id\":1,"
			   "\"error\":{\"code\":-2147483648,\"message\":\"m\","
			   "\"data\":null}}");
	struct mpd_rpc_response resp;
	const char *why;

	cr_assert(eq(int, mpd_rpc_parse_response(msg, &resp, &why), 0));
	cr_assert(eq(int, resp.code, INT_MIN));
	cr_assert(eq(int, json_is_null(resp.data), 1));
	json_decref(msg);
}

/* encode */

Test(encode, string_with_newlines_stays_on_one_line)
{
	json_t *msg = json_pack("{s:s}", "text", "a\nb\r\nc\n");
	size_t len;
	char *line = mpd_rpc_encode(msg, &len);

	cr_assert(ne(ptr, line, NULL));
	cr_assert(eq(sz, len, strlen(line)));
	cr_assert(eq(ptr, memchr(line, '\n', len - 1), NULL));
	cr_assert(eq(chr, line[len - 1], '\n'));
	cr_assert(eq(str, line, "{\"text\":\"a\\nb\\r\\nc\\n\"}\n"));
	free(line);
	json_decref(msg);
}

Test(encode, any_value_is_encoded)
{
	json_t *v = json_integer(5);

	expect_encoding(v, "5");
	json_decref(v);
	expect_encoding(json_null(), "null");
	v = json_string("s");
	expect_encoding(v, "\"s\"");
	json_decref(v);
}

Test(encode, utf8_is_sent_as_is)
{
	json_t *v = json_string("caf\xc3\xa9 \xe2\x82\xac");

	expect_encoding(v, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	json_decref(v);
}

Test(encode, nul_in_string_is_escaped)
{
	json_t *v = json_stringn("a\0b", 3);

	expect_encoding(v, "\"a\\u0000b\"");
	json_decref(v);
}

Test(encode, output_is_compact)
{
	json_t *v = load("{ \"a\" : [ 1 , 2 ], \"b\" : { } }");

	expect_encoding(v, "{\"a\":[1,2],\"b\":{}}");
	json_decref(v);
}

Test(encode, null_message_fails)
{
	size_t len = 99;

	cr_assert(eq(ptr, mpd_rpc_encode(NULL, &len), NULL));
	cr_assert(eq(sz, len, 99));
}

Test(encode, large_message_is_complete)
{
	json_t *a = json_array();
	size_t len, want;
	char *line;

	for (int i = 0; i < 100000; i++)
		json_array_append_new(a, json_integer(i));
	want = json_dumpb(a, NULL, 0, JSON_COMPACT);
	line = mpd_rpc_encode(a, &len);
	cr_assert(ne(ptr, line, NULL));
	cr_assert(eq(sz, len, want + 1));
	cr_assert(eq(str, line + len - 7, "99999]\n"));
	free(line);
	json_decref(a);
}
