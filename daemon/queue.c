/*
 * queue.c - the queue.* methods: Python's Queue and JoinableQueue, brokered.
 *
 * Items are kept as their compact JSON text, encoded once at put, so a get
 * answers without encoding again. They sit in a FIFO of large mmap'd
 * chunks: O(1) put and get, and chunks that go back to the system as soon
 * as they are drained. Each item is a header byte and its bytes (see
 * item_store()): a text under 192 bytes has one byte of overhead, and an
 * integer is kept in binary, as Redis does, since small integers (task
 * ids, counters) are the commonest small item.
 *
 * Blocking calls park their request on the queue: getters (while the
 * queue is empty, or while their connection has no output room for the
 * item), putters (only while it is full) and joiners. Every change runs
 * queue_pump(), which serves parked getters, then admits parked putters,
 * until neither can move.
 *
 * An item leaves the queue only in a reply that is delivered. The items a
 * reply takes are copied into a hold (struct qhold) that rides with the
 * reply; if the reply is never written (its connection died, a write
 * failed, its batch was cancelled), the hold puts them back at the head of
 * the queue, in their order, and the queue is pumped again from the loop.
 * A reply never passes its connection's --max-output room: get_many takes
 * only what fits; a get whose item does not fit waits for the client to
 * read, and one that could never fit is refused with `limit`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpdd.h"

#define QCHUNK_SIZE (256 * 1024)
/* Pages of a drained chunk beyond this are given back (madvise). */
#define QCHUNK_KEEP (64 * 1024)
/* Room an item's reply needs besides the item: envelope, id, key. */
#define ITEM_OVERHEAD 256

struct qchunk {
	struct qchunk *next;
	size_t size; /* bytes of data[] */
	size_t map; /* bytes mapped, header included */
	size_t head; /* next item to read */
	size_t tail; /* where the next item goes */
	char data[];
};

enum qwait_kind { QW_GET, QW_PUT, QW_JOIN };

/* What a parked call waits with (its req's park_arg). */
struct qwait {
	struct queue *q;
	struct req *req;
	enum qwait_kind kind;
	size_t max; /* QW_GET: items wanted (get: 1) */
	bool many; /* QW_GET: answer {"items"} instead of {"item"} */
	char **items; /* QW_PUT: the encoded items */
	size_t *lens;
	size_t nitems;
	uint64_t bytes; /* QW_PUT: accounted while parked */
};

struct qhold;

struct queue {
	char *name;
	size_t maxsize; /* 0: unbounded */
	size_t size;
	uint64_t bytes; /* item bytes, length prefixes included */
	size_t unfinished;
	bool closed;
	struct qchunk *head, *tail;
	struct req_list getters, putters, joiners; /* parked, in order */
	size_t ngetters, nputters;
	TAILQ_HEAD(, qhold) holds; /* items out in replies not yet written */
	size_t nheld;
	bool pump_pending; /* on pump_list */
	TAILQ_ENTRY(queue) pump_entry;
};

/* Items taken for a reply, kept until it is delivered. */
struct qhold {
	struct hold h; /* first: conn.c and dispatch.c see this */
	TAILQ_ENTRY(qhold) entry; /* on q->holds */
	struct queue *q; /* NULL once the queue is deleted */
	size_t n; /* items */
	size_t len; /* bytes of data */
	unsigned char data[]; /* the items as the chunks store them */
};

static struct hmap queues;
/* Queues to pump from the loop (items came back, or output room). */
static TAILQ_HEAD(, queue) pump_list = TAILQ_HEAD_INITIALIZER(pump_list);
static struct event *pump_ev;

/* The params of the queue.* methods, as the dispatcher extracts them;
 * the target first. */
struct qargs {
	struct queue *q;
	json_t *name; /* queue.create's */
	json_int_t maxsize; /* 0: not given */
	json_t *item, *items;
	json_int_t max;
	double timeout; /* -1: not given */
	bool exist_ok;
};

static const struct mpd_param create_params[] = {
	ARG_NAME(struct qargs, name),
	ARG_ID("maxsize", 0, struct qargs, maxsize),
	ARG("exist_ok", MPD_PT_BOOL, 0, struct qargs, exist_ok),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param put_params[] = {
	PARAM_NAME,
	ARG("item", MPD_PT_ANY, MPD_PF_REQUIRED, struct qargs, item),
	ARG_TIMEOUT(struct qargs, timeout),
	PARAMS_END,
};
static const struct mpd_param get_params[] = {
	PARAM_NAME,
	ARG_TIMEOUT(struct qargs, timeout),
	PARAMS_END,
};
static const struct mpd_param put_many_params[] = {
	PARAM_NAME,
	ARG("items", MPD_PT_ARRAY, MPD_PF_REQUIRED | MPD_PF_NONEMPTY,
	    struct qargs, items),
	ARG_TIMEOUT(struct qargs, timeout),
	PARAMS_END,
};
static const struct mpd_param get_many_params[] = {
	PARAM_NAME,
	ARG_RANGE("max", MPD_PT_INT, MPD_PF_REQUIRED, 1, MPD_MAX_GET_MANY,
		  struct qargs, max),
	ARG_TIMEOUT(struct qargs, timeout),
	PARAMS_END,
};
static const struct mpd_param join_params[] = {
	PARAM_NAME,
	ARG_TIMEOUT(struct qargs, timeout),
	PARAMS_END,
};

/* --- the chunked FIFO --- */

static struct qchunk *chunk_new(size_t need)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t map = sizeof(struct qchunk) + need;
	struct qchunk *c;

	map = map < QCHUNK_SIZE ? QCHUNK_SIZE : (map + page - 1) / page * page;
	c = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	c->next = NULL;
	c->map = map;
	c->size = map - sizeof(struct qchunk);
	c->head = c->tail = 0;
	return c;
}

/*
 * How an item is stored: a header byte h, then
 *   h <= ITEM_SHORT_MAX            h bytes of JSON text;
 *   ITEM_INT .. ITEM_INT + 8       an integer, in h - ITEM_INT bytes,
 *                                  little-endian, sign-extended: its
 *                                  text is the canonical decimal;
 *   ITEM_LONG                      a 4-byte length, then the text.
 */
#define ITEM_SHORT_MAX 0xBF
#define ITEM_INT       0xC0
#define ITEM_LONG      0xFF
/* The longest text of an int64 ("-9223372036854775808"). */
#define ITEM_INT_TEXT 20

/* Is text (len bytes) a canonical JSON integer that fits in int64? */
static bool item_int(const char *text, size_t len, int64_t *v)
{
	const char *p = text, *end = text + len;
	bool neg = *p == '-';
	uint64_t u = 0;

	if (len == 0 || len > ITEM_INT_TEXT)
		return false;
	p += neg;
	if (p == end || (*p == '0' && (neg || end - p > 1)))
		return false; /* "", "-", "-0", leading zeros */
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || __builtin_mul_overflow(u, 10, &u) ||
		    __builtin_add_overflow(u, (uint64_t)(*p - '0'), &u))
			return false;
	}
	if (u > (uint64_t)INT64_MAX + neg)
		return false;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* Bytes the signed value v needs (0 for 0). */
static unsigned int_bytes(int64_t v)
{
	if (v == 0)
		return 0;
	for (unsigned n = 1; n < 8; n++) {
		int64_t lim = (int64_t)1 << (8 * n - 1);

		if (v >= -lim && v < lim)
			return n;
	}
	return 8;
}

/* Bytes the item text (len bytes) takes in a chunk. */
static size_t item_size(const char *text, size_t len)
{
	int64_t v;

	if (item_int(text, len, &v))
		return 1 + int_bytes(v);
	return len <= ITEM_SHORT_MAX ? 1 + len : 1 + sizeof(uint32_t) + len;
}

/* Store the item text at dst (item_size() bytes). */
static void item_store(unsigned char *dst, const char *text, size_t len)
{
	int64_t v;

	if (item_int(text, len, &v)) {
		unsigned n = int_bytes(v);

		*dst++ = (unsigned char)(ITEM_INT + n);
		for (unsigned i = 0; i < n; i++)
			*dst++ = (unsigned char)((uint64_t)v >> (8 * i));
	} else if (len <= ITEM_SHORT_MAX) {
		*dst++ = (unsigned char)len;
		memcpy(dst, text, len);
	} else {
		uint32_t n = (uint32_t)len;

		*dst++ = ITEM_LONG;
		memcpy(dst, &n, sizeof(n));
		memcpy(dst + sizeof(n), text, len);
	}
}

/*
 * The item stored at src: its text in *text and *len (in the chunk, or
 * rendered into buf for an integer). Returns the bytes it takes.
 */
static size_t item_load(const unsigned char *src, char buf[ITEM_INT_TEXT + 1],
			const char **text, size_t *len)
{
	unsigned h = src[0];

	if (h <= ITEM_SHORT_MAX) {
		*text = (const char *)src + 1;
		*len = h;
		return 1 + h;
	}
	if (h == ITEM_LONG) {
		uint32_t n;

		memcpy(&n, src + 1, sizeof(n));
		*text = (const char *)src + 1 + sizeof(n);
		*len = n;
		return 1 + sizeof(n) + n;
	}
	{
		unsigned n = h - ITEM_INT;
		uint64_t u = 0;
		char digits[ITEM_INT_TEXT], *p = buf;
		size_t k = 0;
		int64_t v;

		for (unsigned i = 0; i < n; i++)
			u |= (uint64_t)src[1 + i] << (8 * i);
		if (n > 0 && n < 8 && (src[n] & 0x80))
			u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
		v = (int64_t)u;
		if (v < 0) {
			*p++ = '-';
			u = 0 - u;
		}
		do {
			digits[k++] = (char)('0' + u % 10);
			u /= 10;
		} while (u > 0);
		while (k > 0)
			*p++ = digits[--k];
		*text = buf;
		*len = (size_t)(p - buf);
		return 1 + n;
	}
}

/* Append one item. Returns 0, or -1 when out of memory. */
static int fifo_push(struct queue *q, const char *text, size_t len)
{
	size_t need = item_size(text, len);
	struct qchunk *c = q->tail;

	if (c == NULL || c->size - c->tail < need) {
		c = chunk_new(need);
		if (c == NULL)
			return -1;
		if (q->tail != NULL)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
	}
	item_store((unsigned char *)c->data + c->tail, text, len);
	c->tail += need;
	q->size++;
	q->bytes += need;
	broker_bytes((int64_t)need);
	return 0;
}

/*
 * The item at *off of chunk *cp, moving to the next chunk when *off is at
 * the end of this one: its text in *text, *len (buf holds a rendered
 * integer). Advances *off past it.
 */
static size_t fifo_next(const struct qchunk **cp, size_t *off,
			char buf[ITEM_INT_TEXT + 1], const char **text,
			size_t *len)
{
	const struct qchunk *c = *cp;
	size_t n;

	while (*off == c->tail) {
		c = c->next;
		*off = c->head;
		*cp = c;
	}
	n = item_load((const unsigned char *)c->data + *off, buf, text, len);
	*off += n;
	return n;
}

/* Drop the item at the head, copying its stored bytes to dst (NULL: not
 * copied). Returns how many bytes it took. */
static size_t fifo_pop(struct queue *q, unsigned char *dst)
{
	struct qchunk *c = q->head;
	char buf[ITEM_INT_TEXT + 1];
	const char *text;
	size_t len, n;

	while (c->head == c->tail) {
		/* A chunk put back in front and drained. */
		q->head = c->next;
		munmap(c, c->map);
		c = q->head;
	}
	n = item_load((unsigned char *)c->data + c->head, buf, &text, &len);
	if (dst != NULL)
		memcpy(dst, c->data + c->head, n);
	c->head += n;
	q->size--;
	q->bytes -= n;
	broker_bytes(-(int64_t)n);
	if (c->head < c->tail)
		return n;
	if (c != q->tail) {
		q->head = c->next;
		munmap(c, c->map);
		return n;
	}
	/* The last chunk, drained: reuse it, giving back what it touched
	 * beyond what a small queue needs. */
	if (c->tail > QCHUNK_KEEP && c->map == QCHUNK_SIZE)
		madvise((char *)c + QCHUNK_KEEP, c->map - QCHUNK_KEEP,
			MADV_DONTNEED);
	c->head = c->tail = 0;
	return n;
}

/*
 * Put n items back at the head: data (len bytes) holds them as the chunks
 * store them, in queue order. Returns 0, or -1 when out of memory.
 */
static int fifo_unshift(struct queue *q, const unsigned char *data, size_t len,
			size_t n)
{
	struct qchunk *c = q->head;

	if (c != NULL && c->head >= len) {
		c->head -= len;
	} else {
		c = chunk_new(len);
		if (c == NULL)
			return -1;
		c->head = c->size - len;
		c->tail = c->size;
		c->next = q->head;
		q->head = c;
		if (q->tail == NULL)
			q->tail = c;
	}
	memcpy(c->data + c->head, data, len);
	q->size += n;
	q->bytes += len;
	broker_bytes((int64_t)len);
	return 0;
}

static void fifo_free(struct queue *q)
{
	struct qchunk *c = q->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		munmap(c, c->map);
	}
	q->head = q->tail = NULL;
	broker_bytes(-(int64_t)q->bytes);
	q->bytes = 0;
	q->size = 0;
}

/* --- handing items out --- */

static void queue_pump(struct queue *q);
static void qwait_free(struct qwait *w);

static void pump_cb(evutil_socket_t fd, short events, void *arg)
{
	struct queue *q;

	while ((q = TAILQ_FIRST(&pump_list)) != NULL) {
		TAILQ_REMOVE(&pump_list, q, pump_entry);
		q->pump_pending = false;
		queue_pump(q);
	}
}

/* Pump q from the loop, not from deep inside whatever called us. */
static void pump_later(struct queue *q)
{
	if (q->pump_pending)
		return;
	if (pump_ev == NULL) {
		pump_ev = event_new(mpdd.base, -1, 0, pump_cb, NULL);
		if (pump_ev == NULL) {
			log_warnx("%s: cannot allocate an event", __func__);
			return;
		}
	}
	q->pump_pending = true;
	TAILQ_INSERT_TAIL(&pump_list, q, pump_entry);
	event_active(pump_ev, 0, 0);
}

/* A reply that carried items was written (they are gone for good) or
 * dropped (they go back to the head, in order). */
static void qhold_release(struct hold *h, bool delivered)
{
	struct qhold *qh = (struct qhold *)h;
	struct queue *q = qh->q;

	if (q != NULL) {
		TAILQ_REMOVE(&q->holds, qh, entry);
		q->nheld -= qh->n;
		if (!delivered) {
			if (fifo_unshift(q, qh->data, qh->len, qh->n) == -1)
				log_warnx("queue \"%s\": out of memory: %zu "
					  "undelivered items lost",
					  q->name, qh->n);
			else
				log_debug("queue \"%s\": %zu undelivered "
					  "items back at the head",
					  q->name, qh->n);
			pump_later(q);
		}
	}
	free(qh);
}

/* What serve() did. */
enum serve_status {
	SERVED, /* r was answered with items */
	NO_ROOM, /* not now: r's connection has no room for the first item */
	TOO_BIG, /* never: its reply would pass max_output */
};

/* Bytes r's reply needs besides its items: envelope, id, key. */
static size_t reply_overhead(const struct req *r)
{
	size_t id = json_is_string(r->id) ? json_string_length(r->id) : 0;

	/* A string id may grow six-fold when escaped. */
	return ITEM_OVERHEAD + 6 * id;
}

/*
 * Answer r with up to max items from the head (q->size > 0), taking them
 * from the queue into a hold that rides with the reply: {"item": ...} or,
 * when many, {"items": [...]}. Only as many items as r's connection has
 * output room for. When it answers and w is not NULL, w (r's waiter) is
 * freed first. Returns what it did; r is answered only when SERVED (or
 * when out of memory, then too as SERVED).
 */
static enum serve_status serve(struct queue *q, struct req *r, size_t max,
			       bool many, struct qwait *w)
{
	const struct qchunk *c = q->head;
	size_t off = c->head, len, total = 16, raw = 0, n;
	size_t take = max < q->size ? max : q->size;
	size_t room = req_room(r), overhead = reply_overhead(r);
	char *buf, *p, num[ITEM_INT_TEXT + 1];
	struct qhold *qh;
	const char *t;

	/* Size the reply, then write it: items are copied once. */
	for (size_t i = 0; i < take; i++) {
		size_t stored = fifo_next(&c, &off, num, &t, &len);

		if (total + len + 1 + overhead > room) {
			if (i == 0)
				return total + len + 1 + overhead >
						       mpdd.opt.max_output ?
					       TOO_BIG :
					       NO_ROOM;
			take = i;
			break;
		}
		total += len + 1;
		raw += stored;
	}
	if (w != NULL)
		qwait_free(w);
	buf = malloc(total);
	qh = malloc(sizeof(*qh) + raw);
	if (buf == NULL || qh == NULL) {
		free(buf);
		free(qh);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return SERVED;
	}
	p = buf;
	p += sprintf(p, many ? "{\"items\":[" : "{\"item\":");
	c = q->head;
	off = c->head;
	for (n = 0; n < take; n++) {
		fifo_next(&c, &off, num, &t, &len);
		if (n > 0)
			*p++ = ',';
		memcpy(p, t, len);
		p += len;
	}
	if (many)
		*p++ = ']';
	*p++ = '}';
	qh->h.release = qhold_release;
	qh->q = q;
	qh->n = take;
	qh->len = 0;
	for (n = 0; n < take; n++)
		qh->len += fifo_pop(q, qh->data + qh->len);
	TAILQ_INSERT_TAIL(&q->holds, qh, entry);
	q->nheld += take;
	r->hold = &qh->h;
	req_result_text(r, buf, (size_t)(p - buf));
	free(buf);
	return SERVED;
}

/* Refuse r: its reply would not fit its connection's output (now, or
 * ever); the items stay queued. */
static void no_room(struct queue *q, struct req *r, enum serve_status why)
{
	req_error(r, MPD_RPC_LIMIT,
		  json_pack("{s:s, s:I}", "limit", "max_output", "max",
			    (json_int_t)mpdd.opt.max_output),
		  why == TOO_BIG ?
			  "the item at the head of queue \"%s\" is too large "
			  "for a reply within max_output" :
			  "no room in this connection's output for an item "
			  "of queue \"%s\" (max_output): read the replies "
			  "first",
		  q->name);
}

/* --- parked calls --- */

static void qwait_free(struct qwait *w)
{
	struct queue *q = w->q;

	if (q != NULL) {
		req_unwait(w->req);
		if (w->kind == QW_GET)
			q->ngetters--;
		else if (w->kind == QW_PUT)
			q->nputters--;
	}
	for (size_t i = 0; i < w->nitems; i++)
		free(w->items[i]);
	free(w->items);
	free(w->lens);
	broker_bytes(-(int64_t)w->bytes);
	free(w);
}

static void qwait_cancel(struct req *r)
{
	qwait_free(r->park_arg);
}

static void qwait_expire(struct req *r)
{
	struct qwait *w = r->park_arg;
	struct queue *q = w->q;

	switch (w->kind) {
	case QW_GET:
		qwait_free(w);
		if (q->size > 0)
			/* It waited for room in its output, not for items. */
			no_room(q, r, NO_ROOM);
		else
			req_error(r, MPD_RPC_EMPTY, NULL,
				  "queue \"%s\" is still empty", q->name);
		break;
	case QW_PUT:
		qwait_free(w);
		req_error(r, MPD_RPC_FULL, NULL, "queue \"%s\" is still full",
			  q->name);
		break;
	case QW_JOIN:
		qwait_free(w);
		req_result(r, json_pack("{s:b, s:I}", "done", 0, "unfinished",
					(json_int_t)q->unfinished));
		break;
	}
}

/* Park r on q. Returns the waiter, or NULL with r answered. */
static struct qwait *qwait_park(struct queue *q, struct req *r,
				enum qwait_kind kind, double timeout)
{
	struct req_list *l = kind == QW_GET ? &q->getters :
			     kind == QW_PUT ? &q->putters :
					      &q->joiners;
	struct qwait *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return NULL;
	}
	w->q = q;
	w->req = r;
	w->kind = kind;
	if (req_park(r, l, qwait_cancel, qwait_expire, w, timeout) == -1) {
		free(w);
		return NULL;
	}
	if (kind == QW_GET)
		q->ngetters++;
	else if (kind == QW_PUT)
		q->nputters++;
	return w;
}

/* Answer every waiter of a list with an error (the queue closed). */
static void qwait_fail_all(struct req_list *l, int code, const char *why,
			   const char *name)
{
	struct req *r;

	while ((r = TAILQ_FIRST(l)) != NULL) {
		qwait_free(r->park_arg);
		req_error(r, code, NULL, "queue \"%s\" %s", name, why);
	}
}

/* Put encoded items into q (room was checked); tasks count from here. */
static int admit(struct queue *q, char **items, const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fifo_push(q, items[i], lens[i]) == -1)
			return -1;
	q->unfinished += n;
	return 0;
}

static bool has_room(const struct queue *q, size_t n)
{
	return q->maxsize == 0 || q->size + n <= q->maxsize;
}

/* Serve parked getters, then admit parked putters, until neither moves. */
static void queue_pump(struct queue *q)
{
	bool moved = true;

	while (moved) {
		struct req *r, *next;
		struct qwait *w;

		moved = false;
		for (r = TAILQ_FIRST(&q->getters); r != NULL && q->size > 0;
		     r = next) {
			enum serve_status st;

			w = r->park_arg;
			next = TAILQ_NEXT(r, wait_entry);
			/* A connection on its way out gets nothing. */
			if (r->conn->dead || r->conn->closing)
				continue;
			st = serve(q, r, w->max, w->many, w);
			if (st == SERVED) {
				moved = true;
			} else if (st == TOO_BIG || r->batch != NULL) {
				/* A batch goes out whole: no room will come
				 * while it waits. */
				qwait_free(w);
				no_room(q, r, st);
			} else {
				/* Served once the client reads. */
				r->conn->want_room = true;
			}
		}
		while ((r = TAILQ_FIRST(&q->putters)) != NULL &&
		       has_room(q, (w = r->park_arg)->nitems)) {
			int rc;

			/* Its bytes move from the waiter to the queue. */
			broker_bytes(-(int64_t)w->bytes);
			w->bytes = 0;
			rc = admit(q, w->items, w->lens, w->nitems);
			qwait_free(w);
			if (rc == -1)
				req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
					  "out of memory");
			else
				req_result(r, json_pack("{s:I}", "size",
							(json_int_t)q->size));
			moved = true;
		}
		if (q->closed && q->size == 0)
			qwait_fail_all(&q->getters, MPD_RPC_CLOSED,
				       "is closed and drained", q->name);
	}
}

/* --- the methods --- */

static const struct target_type queue_target = {
	.noun = "queue",
	.map = &queues,
	.bounded_name = true,
};

static void queue_create(struct req *r, json_t *params, void *args)
{
	const struct qargs *in = args;
	const char *name;
	struct queue *q;

	if (!req_name_ok(r, in->name))
		return;
	name = json_string_value(in->name);
	q = hmap_get(&queues, name);
	if (q != NULL) {
		if (!in->exist_ok) {
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a queue named \"%s\" exists", name);
			return;
		}
		req_result(r, json_pack("{s:s, s:I, s:b}", "name", q->name,
					"maxsize", (json_int_t)q->maxsize,
					"created", 0));
		return;
	}
	if ((size_t)in->maxsize > mpdd.opt.max_queue_items) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_queue_items",
				    "max",
				    (json_int_t)mpdd.opt.max_queue_items),
			  "\"maxsize\" is over max_queue_items (%zu)",
			  mpdd.opt.max_queue_items);
		return;
	}
	if (!broker_room(r, 1, 0))
		return;
	q = calloc(1, sizeof(*q));
	if (q == NULL || (q->name = strdup(name)) == NULL ||
	    hmap_put(&queues, q->name, q) == -1) {
		if (q != NULL)
			free(q->name);
		free(q);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	q->maxsize = (size_t)in->maxsize; /* 0 when not given */
	TAILQ_INIT(&q->getters);
	TAILQ_INIT(&q->putters);
	TAILQ_INIT(&q->joiners);
	TAILQ_INIT(&q->holds);
	broker.objects++;
	broker.queues++;
	events_emit_object("queue", q->name, "created", EVENTS_ANY_UID);
	req_result(r, json_pack("{s:s, s:I, s:b}", "name", q->name, "maxsize",
				(json_int_t)q->maxsize, "created", 1));
}

/*
 * Encode items (n of them, from the param field) for q. Returns 0, or -1
 * with r answered.
 */
static int encode_items(struct req *r, const char *field, json_t **in, size_t n,
			char ***out, size_t **lens, uint64_t *bytes)
{
	size_t max = mpdd.opt.max_message - ITEM_OVERHEAD;

	/* What no reply could carry is refused before anything is kept. */
	for (size_t i = 0; i < n; i++) {
		if (mpd_json_depth(in[i], MPD_MAX_ITEM_DEPTH) >
		    MPD_MAX_ITEM_DEPTH) {
			req_error(r, MPD_RPC_INVALID_PARAMS,
				  json_pack("{s:s, s:i}", "field", field,
					    "max_depth", MPD_MAX_ITEM_DEPTH),
				  "\"%s\": an item may nest at most %d levels "
				  "(every reader must be able to read it)",
				  field, MPD_MAX_ITEM_DEPTH);
			*out = NULL;
			*lens = NULL;
			return -1;
		}
	}

	*out = calloc(n, sizeof(**out));
	*lens = calloc(n, sizeof(**lens));
	*bytes = 0;
	if (*out == NULL || *lens == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = mpd_json_encode(in[i], &(*lens)[i], 1);
		if ((*out)[i] == NULL)
			goto nomem;
		*bytes += item_size((*out)[i], (*lens)[i]);
		if ((*lens)[i] > max) {
			req_error(r, MPD_RPC_LIMIT,
				  json_pack("{s:s, s:I}", "limit",
					    "max_message", "max",
					    (json_int_t)max),
				  "an item must encode to at most %zu bytes",
				  max);
			goto fail;
		}
	}
	return 0;
nomem:
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
fail:
	for (size_t i = 0; *out != NULL && i < n; i++)
		free((*out)[i]);
	free(*out);
	free(*lens);
	*out = NULL;
	*lens = NULL;
	return -1;
}

static void free_items(char **items, size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
	free(lens);
}

/* queue.put and queue.put_many: n items (from the param field), all or
 * nothing. */
static void put(struct req *r, const struct qargs *args, const char *field,
		json_t **in, size_t n)
{
	struct queue *q = args->q;
	double timeout = args->timeout;
	char **items;
	size_t *lens;
	uint64_t bytes;
	struct qwait *w;

	if (q->closed) {
		req_error(r, MPD_RPC_CLOSED, NULL, "queue \"%s\" is closed",
			  q->name);
		return;
	}
	if (q->maxsize > 0 && n > q->maxsize) {
		req_error(r, MPD_RPC_INVALID_PARAMS,
			  json_pack("{s:s}", "field", "items"),
			  "%zu items can never fit in queue \"%s\" (maxsize "
			  "%zu)",
			  n, q->name, q->maxsize);
		return;
	}
	if (q->size + n > mpdd.opt.max_queue_items) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_queue_items",
				    "max",
				    (json_int_t)mpdd.opt.max_queue_items),
			  "queue \"%s\" holds %zu items (max_queue_items)",
			  q->name, q->size);
		return;
	}
	if (encode_items(r, field, in, n, &items, &lens, &bytes) == -1)
		return;
	if (!broker_room(r, 0, bytes)) {
		free_items(items, lens, n);
		return;
	}
	if (q->nputters == 0 && has_room(q, n)) {
		int rc = admit(q, items, lens, n);

		free_items(items, lens, n);
		if (rc == -1) {
			req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
				  "out of memory");
			return;
		}
		req_result(r, json_pack("{s:I}", "size", (json_int_t)q->size));
		queue_pump(q);
		return;
	}
	if (timeout == 0) {
		free_items(items, lens, n);
		req_error(r, MPD_RPC_FULL, NULL, "queue \"%s\" is full",
			  q->name);
		return;
	}
	w = qwait_park(q, r, QW_PUT, timeout);
	if (w == NULL) {
		free_items(items, lens, n);
		return;
	}
	w->items = items;
	w->lens = lens;
	w->nitems = n;
	w->bytes = bytes;
	broker_bytes((int64_t)bytes);
}

static void queue_put(struct req *r, json_t *params, void *args)
{
	json_t *item = ((struct qargs *)args)->item;

	put(r, args, "item", &item, 1);
}

static void queue_put_many(struct req *r, json_t *params, void *args)
{
	json_t *items = ((struct qargs *)args)->items;
	size_t n = json_array_size(items);
	json_t **v = malloc(n * sizeof(*v));

	if (v == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(items, i);
	put(r, args, "items", v, n);
	free(v);
}

/* queue.get and queue.get_many. */
static void get(struct req *r, const struct qargs *args, size_t max, bool many)
{
	struct queue *q = args->q;
	double timeout = args->timeout;
	struct qwait *w;

	if (q->size > 0 && q->ngetters > 0)
		/* Getters that wait for output room come first. */
		queue_pump(q);
	if (q->size > 0) {
		enum serve_status st = serve(q, r, max, many, NULL);

		if (st == SERVED) {
			queue_pump(q);
			return;
		}
		if (st == TOO_BIG || r->batch != NULL || timeout == 0) {
			no_room(q, r, st);
			return;
		}
		/* Wait for the client to read what it was sent. */
		w = qwait_park(q, r, QW_GET, timeout);
		if (w != NULL) {
			w->max = max;
			w->many = many;
			r->conn->want_room = true;
		}
		return;
	}
	if (q->closed) {
		req_error(r, MPD_RPC_CLOSED, NULL,
			  "queue \"%s\" is closed and drained", q->name);
		return;
	}
	if (timeout == 0) {
		req_error(r, MPD_RPC_EMPTY, NULL, "queue \"%s\" is empty",
			  q->name);
		return;
	}
	w = qwait_park(q, r, QW_GET, timeout);
	if (w != NULL) {
		w->max = max;
		w->many = many;
	}
}

static void queue_get(struct req *r, json_t *params, void *args)
{
	get(r, args, 1, false);
}

static void queue_get_many(struct req *r, json_t *params, void *args)
{
	get(r, args, (size_t)((struct qargs *)args)->max, true);
}

static void queue_size(struct req *r, json_t *params, void *args)
{
	struct queue *q = ((struct qargs *)args)->q;

	req_result(r, json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:I}",
				"size", (json_int_t)q->size, "maxsize",
				(json_int_t)q->maxsize, "unfinished",
				(json_int_t)q->unfinished, "getters",
				(json_int_t)q->ngetters, "putters",
				(json_int_t)q->nputters, "closed", q->closed,
				"bytes", (json_int_t)q->bytes, "held",
				(json_int_t)q->nheld));
}

static void queue_task_done(struct req *r, json_t *params, void *args)
{
	struct queue *q = ((struct qargs *)args)->q;
	struct req *jr;

	if (q->unfinished == 0) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "task_done called more times than items were put "
			  "in queue \"%s\"",
			  q->name);
		return;
	}
	if (--q->unfinished == 0) {
		while ((jr = TAILQ_FIRST(&q->joiners)) != NULL) {
			qwait_free(jr->park_arg);
			req_result(jr, json_pack("{s:b, s:i}", "done", 1,
						 "unfinished", 0));
		}
	}
	req_result(r,
		   json_pack("{s:I}", "unfinished", (json_int_t)q->unfinished));
}

static void queue_join(struct req *r, json_t *params, void *args)
{
	double timeout = ((struct qargs *)args)->timeout;
	struct queue *q = ((struct qargs *)args)->q;

	if (q->unfinished == 0 || timeout == 0) {
		req_result(r,
			   json_pack("{s:b, s:I}", "done", q->unfinished == 0,
				     "unfinished", (json_int_t)q->unfinished));
		return;
	}
	qwait_park(q, r, QW_JOIN, timeout);
}

static void queue_close(struct req *r, json_t *params, void *args)
{
	struct queue *q = ((struct qargs *)args)->q;

	if (!q->closed) {
		q->closed = true;
		qwait_fail_all(&q->putters, MPD_RPC_CLOSED, "was closed",
			       q->name);
		queue_pump(q);
		events_emit_object("queue", q->name, "closed", EVENTS_ANY_UID);
	}
	req_result(r, json_object());
}

static void queue_free(struct queue *q)
{
	struct qhold *qh;

	qwait_fail_all(&q->getters, MPD_RPC_CLOSED, "was deleted", q->name);
	qwait_fail_all(&q->putters, MPD_RPC_CLOSED, "was deleted", q->name);
	qwait_fail_all(&q->joiners, MPD_RPC_CLOSED, "was deleted", q->name);
	/* Items out in replies have nowhere to go back to. */
	while ((qh = TAILQ_FIRST(&q->holds)) != NULL) {
		TAILQ_REMOVE(&q->holds, qh, entry);
		qh->q = NULL;
	}
	if (q->pump_pending)
		TAILQ_REMOVE(&pump_list, q, pump_entry);
	fifo_free(q);
	hmap_del(&queues, q->name);
	broker.objects--;
	broker.queues--;
	free(q->name);
	free(q);
}

static void queue_delete(struct req *r, json_t *params, void *args)
{
	struct queue *q = ((struct qargs *)args)->q;

	events_emit_object("queue", q->name, "deleted", EVENTS_ANY_UID);
	queue_free(q);
	req_result(r, json_object());
}

static json_t *queue_row(void *o)
{
	struct queue *q = o;

	return json_pack("{s:s, s:I, s:I, s:b}", "name", q->name, "size",
			 (json_int_t)q->size, "maxsize", (json_int_t)q->maxsize,
			 "closed", q->closed);
}

static const char *queue_name(void *o)
{
	return ((struct queue *)o)->name;
}

static void queue_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "queues", hmap_values(&queues), queues.n,
			  queue_row, queue_name);
}

/* At exit: every queue goes (their waiters went with the connections). */
void queue_shutdown(void)
{
	void **all = hmap_values(&queues);
	size_t n = queues.n;

	for (size_t i = 0; all != NULL && i < n; i++)
		queue_free(all[i]);
	free(all);
	hmap_free(&queues);
	if (pump_ev != NULL)
		event_free(pump_ev);
	pump_ev = NULL;
}

/*
 * c has written some of its output: the queues where it has gets waiting
 * for room are pumped (from the loop).
 */
void queue_conn_room(struct conn *c)
{
	struct req *r;

	TAILQ_FOREACH (r, &c->parked, entry) {
		struct qwait *w = r->park_arg;

		if (r->cancel == qwait_cancel && w->kind == QW_GET &&
		    w->q->size > 0)
			pump_later(w->q);
	}
}

const struct method queue_methods[] = {
	{ MPD_METHOD_QUEUE_CLOSE, queue_close, name_params, &queue_target, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_CREATE, queue_create, create_params, NULL, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_DELETE, queue_delete, name_params, &queue_target, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_GET, queue_get, get_params, &queue_target,
	  METHOD_TAKES, sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_GET_MANY, queue_get_many, get_many_params,
	  &queue_target, METHOD_TAKES, sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_JOIN, queue_join, join_params, &queue_target, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_LIST, queue_list, no_params, NULL, 0, 0 },
	{ MPD_METHOD_QUEUE_PUT, queue_put, put_params, &queue_target, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_PUT_MANY, queue_put_many, put_many_params,
	  &queue_target, 0, sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_SIZE, queue_size, name_params, &queue_target, 0,
	  sizeof(struct qargs) },
	{ MPD_METHOD_QUEUE_TASK_DONE, queue_task_done, name_params,
	  &queue_target, 0, sizeof(struct qargs) },
	{ 0 },
};
