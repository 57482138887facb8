/*
 * fuzz-rpc.c - JSON-RPC envelopes (proto/rpc.c), single and batched.
 *
 * The input is one line as the daemon reads it: parsed with
 * mpd_json_parse() and the daemon's flags, then, as daemon/dispatch.c
 * does, taken as a batch when it is an array (empty or over MPD_MAX_BATCH
 * members is refused there, before any member is looked at) and as one
 * request otherwise. For every request:
 * - mpd_rpc_parse_request() must return 0 or MPD_RPC_INVALID_REQUEST, and
 *   on success hand back what the contract says: a non-empty method name
 *   without NUL bytes, params an object or an array or absent, an id that
 *   is a string, an integer or null, or absent; on failure a reason that is
 *   UTF-8 (it is sent as the error message).
 * - The reply the daemon would build (a result, or the error with that
 *   reason) must encode as exactly one line with mpd_rpc_encode(), and
 *   that line, read back, must be a valid response with the same id, and,
 *   for an error, the same code and message.
 * The same value is also given to mpd_rpc_parse_response(), the client's
 * side, which must not trust it either.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

/* Encode msg (stolen) as a line and read it back as a response. */
static void round_trip(json_t *msg, json_t *id, int code, const char *message)
{
	struct mpd_rpc_response resp;
	const char *why = NULL;
	size_t len = 0;
	char *line;
	json_t *back;

	FUZZ_CHECK(msg != NULL, "no reply built");
	line = mpd_rpc_encode(msg, &len);
	FUZZ_CHECK(line != NULL, "a reply could not be encoded");
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n' && line[len] == '\0',
		   "the line does not end in a newline and a NUL");
	FUZZ_CHECK(memchr(line, '\n', len - 1) == NULL &&
			   memchr(line, '\0', len) == NULL,
		   "a newline or a NUL inside the line");
	back = mpd_json_parse(line, len - 1,
			      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(back != NULL, "the reply does not parse back: %s", line);
	FUZZ_CHECK(json_equal(back, msg), "the reply changed on the way: %s",
		   line);
	FUZZ_CHECK(mpd_rpc_parse_response(back, &resp, &why) == 0,
		   "the reply is not a valid response (%s): %s", why, line);
	FUZZ_CHECK(json_equal(resp.id, id != NULL ? id : json_null()),
		   "the reply has another id: %s", line);
	if (message != NULL) {
		FUZZ_CHECK(resp.error && resp.code == code &&
				   strcmp(resp.message, message) == 0,
			   "the error changed: %s", line);
	}
	free(line);
	json_decref(back);
	json_decref(msg);
}

static void one_request(json_t *msg)
{
	struct mpd_rpc_request req;
	const char *why = NULL;
	json_t *text;
	int r = mpd_rpc_parse_request(msg, &req, &why);

	FUZZ_CHECK(r == 0 || r == MPD_RPC_INVALID_REQUEST, "returned %d", r);
	FUZZ_CHECK(req.id == NULL || json_is_string(req.id) ||
			   json_is_integer(req.id) || json_is_null(req.id),
		   "an id of type %d", json_typeof(req.id));
	if (r != 0) {
		FUZZ_CHECK(why != NULL && why[0] != '\0', "no reason given");
		text = json_string(why);
		FUZZ_CHECK(text != NULL, "the reason is not UTF-8: %s", why);
		json_decref(text);
		round_trip(mpd_rpc_error_new(req.id, r, why, NULL), req.id, r,
			   why);
		return;
	}
	FUZZ_CHECK(why == NULL, "a reason for a good request: %s", why);
	FUZZ_CHECK(req.method != NULL && req.method[0] != '\0' &&
			   strlen(req.method) ==
				   json_string_length(
					   json_object_get(msg, "method")),
		   "a method name that is empty or holds a NUL");
	FUZZ_CHECK(req.params == NULL || json_is_object(req.params) ||
			   json_is_array(req.params),
		   "params of type %d", json_typeof(req.params));
	FUZZ_CHECK((req.id == NULL) == (json_object_get(msg, "id") == NULL),
		   "the id was lost or made up");
	/* Echo the params as a result, and refuse the method by name. */
	round_trip(mpd_rpc_result_new(req.id, json_incref(req.params)), req.id,
		   0, NULL);
	round_trip(mpd_rpc_error_new(req.id, MPD_RPC_METHOD_NOT_FOUND, NULL,
				     json_pack("{s:s}", "method", req.method)),
		   req.id, MPD_RPC_METHOD_NOT_FOUND,
		   mpd_rpc_error_message(MPD_RPC_METHOD_NOT_FOUND));
}

static void response(json_t *msg)
{
	struct mpd_rpc_response resp;
	const char *why = NULL;

	if (mpd_rpc_parse_response(msg, &resp, &why) != 0) {
		FUZZ_CHECK(why != NULL, "no reason given");
		return;
	}
	FUZZ_CHECK(resp.id != NULL, "a response without an id");
	FUZZ_CHECK((resp.result != NULL) != resp.error,
		   "not exactly one of result and error");
	FUZZ_CHECK(!resp.error || resp.message != NULL,
		   "an error without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *msg, *elem;
	size_t i, n;

	msg = mpd_json_parse((const char *)data, size,
			     JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (msg == NULL)
		return 0;
	if (json_is_array(msg)) {
		n = json_array_size(msg);
		if (n > 0 && n <= MPD_MAX_BATCH) {
			json_array_foreach (msg, i, elem) {
				one_request(elem);
				response(elem);
			}
		}
	} else {
		one_request(msg);
	}
	response(msg);
	json_decref(msg);
	return 0;
}
