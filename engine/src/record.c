/*
 * record.c - record handles: a version's canonical text plus its parsed
 * form, and growable lists of them.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record.h"

struct carelog_record {
	char *json;
	char *commit;
	json_t *obj;   /* parsed on first use: a timeline printed as JSON never needs it */
};

struct carelog_record_list {
	carelog_record **v;
	size_t n, cap;
};

carelog_record *carelog__record_new(const char *json, size_t len, const char *commit)
{
	carelog_record *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->json = malloc(len + 1)) == NULL)
		goto nomem;
	memcpy(r->json, json, len);
	while (len > 0 && r->json[len - 1] == '\n')
		len--;
	r->json[len] = '\0';
	if (commit && (r->commit = strdup(commit)) == NULL)
		goto nomem;
	return r;
nomem:
	carelog_record_free(r);
	carelog__fail(CARELOG_ENOMEM, "out of memory");
	return NULL;
}

/* The parsed record. A handle is read-only to its users; the parse is a
 * cache, which is why a record handle is not to be shared between threads. */
static json_t *obj_of(const carelog_record *r)
{
	carelog_record *m = (carelog_record *)r;
	if (m->obj == NULL)
		m->obj = json_loads(m->json, 0, NULL);
	return m->obj;
}

const char *carelog_record_string(const carelog_record *r, const char *field)
{
	return r && field ? json_string_value(json_object_get(obj_of(r), field)) : NULL;
}

int carelog_record_number(double *out, const carelog_record *r, const char *field)
{
	json_t *v = r && field ? json_object_get(obj_of(r), field) : NULL;
	if (!json_is_number(v))
		return carelog__fail(CARELOG_ENOTFOUND, "record has no number field '%s'", field ? field : "");
	*out = json_number_value(v);
	return 0;
}

int carelog_record_field_json(char **out, const carelog_record *r, const char *field)
{
	json_t *v = r && field ? json_object_get(obj_of(r), field) : NULL;
	*out = NULL;
	if (v == NULL)
		return carelog__fail(CARELOG_ENOTFOUND, "record has no field '%s'", field ? field : "");
	*out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	return *out ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");
}

const char *carelog_record_id(const carelog_record *r) { return carelog_record_string(r, "id"); }
const char *carelog_record_kind(const carelog_record *r) { return carelog_record_string(r, "kind"); }
const char *carelog_record_patient(const carelog_record *r) { return carelog_record_string(r, "patient"); }
const char *carelog_record_time(const carelog_record *r) { return carelog_record_string(r, "time"); }
const char *carelog_record_status(const carelog_record *r) { return carelog_record_string(r, "status"); }
const char *carelog_record_hlc(const carelog_record *r) { return carelog_record_string(r, "hlc"); }
const char *carelog_record_json(const carelog_record *r) { return r ? r->json : NULL; }
const char *carelog_record_commit(const carelog_record *r) { return r ? r->commit : NULL; }

void carelog_record_free(carelog_record *r)
{
	if (r == NULL)
		return;
	json_decref(r->obj);
	free(r->json);
	free(r->commit);
	free(r);
}

carelog_record_list *carelog__record_list_new(void)
{
	carelog_record_list *l = calloc(1, sizeof(*l));
	if (l == NULL)
		carelog__fail(CARELOG_ENOMEM, "out of memory");
	return l;
}

int carelog__record_list_push(carelog_record_list **l, carelog_record *r)
{
	if (*l == NULL && (*l = calloc(1, sizeof(**l))) == NULL)
		goto nomem;
	if ((*l)->n == (*l)->cap) {
		size_t cap = (*l)->cap ? (*l)->cap * 2 : 16;
		carelog_record **nv = realloc((*l)->v, cap * sizeof(*nv));
		if (nv == NULL)
			goto nomem;
		(*l)->v = nv;
		(*l)->cap = cap;
	}
	(*l)->v[(*l)->n++] = r;
	return 0;
nomem:
	carelog_record_free(r);
	return carelog__fail(CARELOG_ENOMEM, "out of memory");
}

size_t carelog_record_list_count(const carelog_record_list *l)
{
	return l ? l->n : 0;
}

const carelog_record *carelog_record_list_get(const carelog_record_list *l, size_t i)
{
	return l && i < l->n ? l->v[i] : NULL;
}

int carelog_record_list_json(char **out, const carelog_record_list *l)
{
	size_t len = 2, n = carelog_record_list_count(l);
	char *p;
	for (size_t i = 0; i < n; i++)
		len += strlen(l->v[i]->json) + 1;
	if ((*out = p = malloc(len + 1)) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(l->v[i]->json);
		if (i)
			*p++ = ',';
		memcpy(p, l->v[i]->json, k);
		p += k;
	}
	*p++ = ']';
	*p = '\0';
	return 0;
}

void carelog_record_list_free(carelog_record_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		carelog_record_free(l->v[i]);
	free(l->v);
	free(l);
}
