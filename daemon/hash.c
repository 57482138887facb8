/*
 * hash.c - a small string-keyed hash table for named objects.
 *
 * Chained buckets, FNV-1a, doubling at load factor 1. Keys are borrowed
 * from the values (each broker object holds its own name), so an entry is
 * just a pointer pair.
 */
#include <stdlib.h>
#include <string.h>

#include "mpdd.h"

struct hentry {
	struct hentry *next;
	uint64_t hash;
	const char *key;
	void *value;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The value stored under key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key)
{
	uint64_t h;

	if (m->nb == 0)
		return NULL;
	h = hash_str(key);
	for (struct hentry *e = m->b[h & (m->nb - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e->value;
	return NULL;
}

static int hmap_grow(struct hmap *m)
{
	size_t nb = m->nb ? m->nb * 2 : 16;
	struct hentry **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < m->nb; i++) {
		struct hentry *e = m->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

/* Store value under key (borrowed; must outlive the entry), which must
 * not be there yet. Returns 0, or -1 when out of memory. */
int hmap_put(struct hmap *m, const char *key, void *value)
{
	struct hentry *e;

	if (m->n >= m->nb && hmap_grow(m) == -1)
		return -1;
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -1;
	e->hash = hash_str(key);
	e->key = key;
	e->value = value;
	e->next = m->b[e->hash & (m->nb - 1)];
	m->b[e->hash & (m->nb - 1)] = e;
	m->n++;
	return 0;
}

/* Remove key; returns its value, or NULL. */
void *hmap_del(struct hmap *m, const char *key)
{
	struct hentry **pe, *e;
	uint64_t h;
	void *v;

	if (m->nb == 0)
		return NULL;
	h = hash_str(key);
	for (pe = &m->b[h & (m->nb - 1)]; (e = *pe) != NULL; pe = &e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*pe = e->next;
			v = e->value;
			free(e);
			m->n--;
			return v;
		}
	}
	return NULL;
}

/* Every value, in no order, into a new array of m->n pointers (NULL when
 * empty or out of memory; free() it). */
void **hmap_values(const struct hmap *m)
{
	void **v = m->n ? malloc(m->n * sizeof(*v)) : NULL;
	size_t k = 0;

	for (size_t i = 0; v != NULL && i < m->nb; i++)
		for (struct hentry *e = m->b[i]; e != NULL; e = e->next)
			v[k++] = e->value;
	return v;
}

/* Free the table (not the values). */
void hmap_free(struct hmap *m)
{
	for (size_t i = 0; i < m->nb; i++) {
		struct hentry *e = m->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->b);
	memset(m, 0, sizeof(*m));
}
