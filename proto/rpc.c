/*
 * rpc.c - JSON-RPC 2.0 envelopes.
 *
 * Checking and building the outer shape of requests, responses and
 * notifications, and encoding a message as one line. What goes inside
 * "params" and "result" is the business of the methods; what goes around
 * them is decided here once, for the daemon and the library alike.
 *
 * Parsing is strict: a member JSON-RPC does not define is an error, and so
 * is any id that is not a string, an integer or null (reals would not
 * round-trip). The descriptions handed back in *why are string constants,
 * except the one naming an unknown member: it lives in a per-thread buffer
 * that stays valid until the next parse call in the same thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define JSONRPC_VERSION "2.0"
/* Message of an error code that is not in MPD_ERRORS. */
#define UNKNOWN_ERROR_MESSAGE "unknown error"
/* Bytes of a peer's member name quoted in a description. */
#define WHY_NAME_MAX 64

static _Thread_local char why_unknown[128];

/* Length of the longest prefix of UTF-8 s (n bytes) that fits in max bytes
 * without splitting a character. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t cut = max;

	if (n <= max)
		return n;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

static const char *describe_unknown(const char *key, const char *where)
{
	size_t n = strlen(key);
	size_t cut = utf8_prefix(key, n, WHY_NAME_MAX);

	snprintf(why_unknown, sizeof(why_unknown),
		 "unknown member \"%.*s%s\" in %s", (int)cut, key,
		 cut < n ? "..." : "", where);
	return why_unknown;
}

static bool is_version(const json_t *v)
{
	return json_is_string(v) &&
	       json_string_length(v) == sizeof(JSONRPC_VERSION) - 1 &&
	       memcmp(json_string_value(v), JSONRPC_VERSION,
		      sizeof(JSONRPC_VERSION) - 1) == 0;
}

static bool is_id(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id) || json_is_null(id);
}

int mpd_rpc_parse_request(json_t *msg, struct mpd_rpc_request *req,
			  const char **why)
{
	json_t *id, *method, *params, *value;
	const char *key, *w;

	req->id = NULL;
	req->method = NULL;
	req->params = NULL;

	if (!json_is_object(msg)) {
		w = "request must be an object";
		goto invalid;
	}
	id = json_object_get(msg, "id");
	if (id != NULL && is_id(id))
		req->id = id;

	if (!is_version(json_object_get(msg, "jsonrpc"))) {
		w = "\"jsonrpc\" must be \"2.0\"";
		goto invalid;
	}
	method = json_object_get(msg, "method");
	if (method == NULL) {
		w = "missing \"method\"";
		goto invalid;
	}
	if (!json_is_string(method)) {
		w = "\"method\" must be a string";
		goto invalid;
	}
	if (json_string_length(method) == 0) {
		w = "\"method\" must not be empty";
		goto invalid;
	}
	/* Method names are used as C strings from here on. */
	if (strlen(json_string_value(method)) != json_string_length(method)) {
		w = "\"method\" must not contain a NUL byte";
		goto invalid;
	}
	params = json_object_get(msg, "params");
	if (params != NULL && !json_is_object(params) &&
	    !json_is_array(params)) {
		w = "\"params\" must be an object or an array";
		goto invalid;
	}
	if (id != NULL && !is_id(id)) {
		w = "\"id\" must be a string, an integer or null";
		goto invalid;
	}
	/* jsonrpc and method are there; only a stranger makes it bigger. */
	if (json_object_size(msg) !=
	    (size_t)(2 + (id != NULL) + (params != NULL))) {
		json_object_foreach (msg, key, value) {
			if (strcmp(key, "jsonrpc") != 0 &&
			    strcmp(key, "method") != 0 &&
			    strcmp(key, "params") != 0 &&
			    strcmp(key, "id") != 0) {
				w = describe_unknown(key, "request");
				goto invalid;
			}
		}
	}

	req->method = json_string_value(method);
	req->params = params;
	if (why != NULL)
		*why = NULL;
	return 0;

invalid:
	if (why != NULL)
		*why = w;
	return MPD_RPC_INVALID_REQUEST;
}

/* {"jsonrpc":"2.0","id":id}; id borrowed, NULL means null. */
static json_t *envelope_new(json_t *id)
{
	json_t *msg = json_object();

	if (msg == NULL)
		return NULL;
	if (json_object_set_new(msg, "jsonrpc", json_string(JSONRPC_VERSION)) ||
	    json_object_set(msg, "id", id != NULL ? id : json_null())) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

json_t *mpd_rpc_result_new(json_t *id, json_t *result)
{
	json_t *msg = envelope_new(id);

	if (result == NULL)
		result = json_object();
	if (msg == NULL || result == NULL) {
		json_decref(msg);
		json_decref(result);
		return NULL;
	}
	/* Stolen even on failure. */
	if (json_object_set_new(msg, "result", result)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

static const char *default_message(int code)
{
	const char *m = mpd_rpc_error_message(code);

	return m != NULL ? m : UNKNOWN_ERROR_MESSAGE;
}

/*
 * A message that is not valid UTF-8 cannot be sent as a JSON string; the
 * code's default message is sent instead. An object data gets "name" added
 * unless it has one; other data are sent as given.
 */
json_t *mpd_rpc_error_new(json_t *id, int code, const char *message,
			  json_t *data)
{
	const char *name = mpd_rpc_error_name(code);
	json_t *msg = NULL, *err = NULL, *text;

	text = json_string(message != NULL ? message : default_message(code));
	if (text == NULL && message != NULL)
		text = json_string(default_message(code));
	if (text == NULL)
		goto fail;

	if (name != NULL && data == NULL) {
		data = json_object();
		if (data == NULL)
			goto fail;
	}
	if (name != NULL && json_is_object(data) &&
	    json_object_get(data, "name") == NULL &&
	    json_object_set_new(data, "name", json_string(name)))
		goto fail;

	err = json_object();
	if (err == NULL || json_object_set_new(err, "code", json_integer(code)))
		goto fail;
	/* json_object_set_new() steals its value even when it fails. */
	if (json_object_set_new(err, "message", text)) {
		text = NULL;
		goto fail;
	}
	text = NULL;
	if (data != NULL) {
		if (json_object_set_new(err, "data", data)) {
			data = NULL;
			goto fail;
		}
		data = NULL;
	}

	msg = envelope_new(id);
	if (msg == NULL)
		goto fail;
	if (json_object_set_new(msg, "error", err)) {
		err = NULL;
		goto fail;
	}
	return msg;

fail:
	json_decref(text);
	json_decref(data);
	json_decref(err);
	json_decref(msg);
	return NULL;
}

/* A request (id a new reference) or notification (id NULL). */
static json_t *call_new(json_t *id, const char *method, json_t *params)
{
	json_t *msg = json_object();

	if (msg == NULL || method == NULL)
		goto fail;
	if (json_object_set_new(msg, "jsonrpc", json_string(JSONRPC_VERSION)))
		goto fail;
	if (id != NULL) {
		if (json_object_set_new(msg, "id", id)) {
			id = NULL;
			goto fail;
		}
		id = NULL;
	}
	if (json_object_set_new(msg, "method", json_string(method)))
		goto fail;
	if (params != NULL) {
		if (json_object_set_new(msg, "params", params)) {
			params = NULL;
			goto fail;
		}
	}
	return msg;

fail:
	json_decref(id);
	json_decref(params);
	json_decref(msg);
	return NULL;
}

json_t *mpd_rpc_request_new(json_int_t id, const char *method, json_t *params)
{
	json_t *jid = json_integer(id);

	if (jid == NULL) {
		json_decref(params);
		return NULL;
	}
	return call_new(jid, method, params);
}

json_t *mpd_rpc_notification_new(const char *method, json_t *params)
{
	return call_new(NULL, method, params);
}

static const char *check_error(json_t *error)
{
	json_t *code, *message;

	if (!json_is_object(error))
		return "\"error\" must be an object";
	code = json_object_get(error, "code");
	if (!json_is_integer(code))
		return "\"error.code\" must be an integer";
	if (json_integer_value(code) < INT_MIN ||
	    json_integer_value(code) > INT_MAX)
		return "\"error.code\" is out of range";
	message = json_object_get(error, "message");
	if (!json_is_string(message))
		return "\"error.message\" must be a string";
	return NULL;
}

int mpd_rpc_parse_response(json_t *msg, struct mpd_rpc_response *resp,
			   const char **why)
{
	json_t *id, *result, *error;
	const char *w;

	if (!json_is_object(msg)) {
		w = "response must be an object";
		goto invalid;
	}
	if (!is_version(json_object_get(msg, "jsonrpc"))) {
		w = "\"jsonrpc\" must be \"2.0\"";
		goto invalid;
	}
	id = json_object_get(msg, "id");
	if (id == NULL) {
		w = "missing \"id\"";
		goto invalid;
	}
	if (!is_id(id)) {
		w = "\"id\" must be a string, an integer or null";
		goto invalid;
	}
	result = json_object_get(msg, "result");
	error = json_object_get(msg, "error");
	if (result != NULL && error != NULL) {
		w = "response has both \"result\" and \"error\"";
		goto invalid;
	}
	if (result == NULL && error == NULL) {
		w = "response has neither \"result\" nor \"error\"";
		goto invalid;
	}
	/* Other members are ignored, so that a newer daemon may add some;
	 * but "method" would make it a request, not a response. */
	if (json_object_get(msg, "method") != NULL) {
		w = "a response must not have \"method\"";
		goto invalid;
	}
	if (error != NULL && (w = check_error(error)) != NULL)
		goto invalid;

	resp->id = id;
	resp->result = result;
	resp->error = error != NULL;
	resp->code = 0;
	resp->message = NULL;
	resp->data = NULL;
	if (error != NULL) {
		resp->code =
			(int)json_integer_value(json_object_get(error, "code"));
		resp->message =
			json_string_value(json_object_get(error, "message"));
		resp->data = json_object_get(error, "data");
	}
	if (why != NULL)
		*why = NULL;
	return 0;

invalid:
	if (why != NULL)
		*why = w;
	return -EPROTO;
}

/*
 * JSON escapes control characters inside strings and the compact form has
 * no line breaks, so the only '\n' in the output is the one added here.
 */
char *mpd_rpc_encode(const json_t *msg, size_t *len)
{
	size_t n;
	char *line;

	/* Room for the '\n' and the NUL. */
	line = mpd_json_encode(msg, &n, 2);
	if (line == NULL)
		return NULL;
	line[n++] = '\n';
	line[n] = '\0';
	if (len != NULL)
		*len = n;
	return line;
}
