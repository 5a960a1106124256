/*
 * export.c - carelog_export and carelog_export_file: the selected records
 * rendered as JSON lines, a FHIR Bundle or CSV tables, in memory or written
 * durably (temporary file, fsync, rename).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "exchange_internal.h"
#include "json_canon.h"
#include "store_internal.h"

int carelog_format_parse(carelog_format *out, const char *name)
{
	static const struct {
		const char *name;
		carelog_format format;
	} names[] = { { "jsonl", CARELOG_FORMAT_JSONL }, { "fhir", CARELOG_FORMAT_FHIR }, { "csv", CARELOG_FORMAT_CSV } };
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0) {
			*out = names[i].format;
			return 0;
		}
	return carelog__fail(CARELOG_EINVALID, "format '%.40s' is not one of fhir, csv, jsonl", name ? name : "");
}

/* One canonical record per line, as carelog_import reads them. */
static int render_jsonl(char **out, size_t *len, const json_t *records)
{
	carelog__text t = { NULL, 0, 0, 0 };
	json_t *rec;
	size_t i;

	json_array_foreach(records, i, rec) {
		char *line = carelog__json_dump(rec);
		if (line == NULL)
			t.failed = 1;
		else
			carelog__text_puts(&t, line);
		carelog__text_puts(&t, "\n");
		free(line);
	}
	return carelog__text_finish(out, len, &t);
}

static int render_fhir(char **out, size_t *len, const json_t *records)
{
	json_t *bundle = carelog__fhir_bundle(records);
	char *text;
	if (bundle == NULL)
		return carelog__last_code();
	text = json_dumps(bundle, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(bundle);
	if (text == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory printing a Bundle");
	/* a text file ends with a newline */
	size_t n = strlen(text);
	char *withnl = realloc(text, n + 2);
	if (withnl == NULL) {
		free(text);
		return carelog__fail(CARELOG_ENOMEM, "out of memory printing a Bundle");
	}
	withnl[n] = '\n';
	withnl[n + 1] = '\0';
	*out = withnl;
	*len = n + 1;
	return 0;
}

static int check_options(carelog_export_options *o, const carelog_export_options *opts)
{
	if (opts == NULL)
		return 0;
	if (opts->version != CARELOG_EXPORT_OPTIONS_VERSION)
		return carelog__fail(CARELOG_EINVALID, "carelog_export_options version %u is not supported", opts->version);
	*o = *opts;
	if (o->format != CARELOG_FORMAT_JSONL && o->format != CARELOG_FORMAT_FHIR && o->format != CARELOG_FORMAT_CSV)
		return carelog__fail(CARELOG_EINVALID, "export format %d is not one of fhir, csv, jsonl", (int)o->format);
	return 0;
}

static int render(char **out, size_t *len, const json_t *records, const carelog_export_options *o, const char *kind)
{
	switch (o->format) {
	case CARELOG_FORMAT_FHIR:
		return render_fhir(out, len, records);
	case CARELOG_FORMAT_CSV:
		return carelog__csv_table(out, len, records, kind);
	default:
		return render_jsonl(out, len, records);
	}
}

static int export_text(char **out, size_t *len, carelog_store *s, const char *patient,
	const carelog_export_options *opts)
{
	carelog_export_options o = CARELOG_EXPORT_OPTIONS_INIT;
	json_t *records = NULL;
	int rc;

	if ((rc = check_options(&o, opts)) < 0)
		return rc;
	if (o.format == CARELOG_FORMAT_CSV && o.kind == NULL)
		return carelog__fail(CARELOG_EINVALID, "a CSV export in memory needs the kind of its table");
	if ((rc = carelog__export_select(&records, s, patient, o.from, o.to)) < 0)
		return rc;
	rc = render(out, len, records, &o, o.kind);
	json_decref(records);
	return rc;
}

int carelog_export(char **out, size_t *len, carelog_store *s, const char *patient,
	const carelog_export_options *opts)
{
	size_t n = 0;
	int rc;

	if (out)
		*out = NULL;
	rc = out ? export_text(out, &n, s, patient, opts) : carelog__fail(CARELOG_EINVALID, "no output given");
	if (len)
		*len = rc == 0 ? n : 0;
	return carelog__store_result(s, rc);
}

/* The CSV tables into directory `dir`, one durable file per kind. */
static int write_csv_dir(const char *dir, const json_t *records)
{
	struct stat st;
	int rc = 0;

	if (mkdir(dir, 0700) == 0) {
		/* the new directory's name must last too */
		char *parent = carelog__strdupf("%s/..", dir);
		rc = parent ? carelog__fsync_dir(parent) : CARELOG_ENOMEM;
		free(parent);
		if (rc < 0)
			return rc;
	} else if (errno != EEXIST) {
		return carelog__fail(CARELOG_EIO, "cannot create directory %s: %s", dir, strerror(errno));
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return carelog__fail(CARELOG_EIO, "%s is not a directory (a CSV export writes one file per kind into it)", dir);
	for (size_t i = 0; carelog__csv_kinds[i] && rc == 0; i++) {
		char *text = NULL, *path;
		size_t len = 0;
		if ((rc = carelog__csv_table(&text, &len, records, carelog__csv_kinds[i])) < 0)
			break;
		if ((path = carelog__strdupf("%s/%s.csv", dir, carelog__csv_kinds[i])) == NULL)
			rc = CARELOG_ENOMEM;
		else
			rc = carelog__write_file_durable(path, text, len);
		free(path);
		free(text);
	}
	return rc;
}

static int export_file(carelog_store *s, const char *patient, const carelog_export_options *opts, const char *path)
{
	carelog_export_options o = CARELOG_EXPORT_OPTIONS_INIT;
	json_t *records = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (path == NULL || path[0] == '\0')
		return carelog__fail(CARELOG_EINVALID, "no output path given");
	if ((rc = check_options(&o, opts)) < 0 || (rc = carelog__export_select(&records, s, patient, o.from, o.to)) < 0)
		return rc;
	if (o.format == CARELOG_FORMAT_CSV)
		rc = write_csv_dir(path, records);
	else if ((rc = render(&text, &len, records, &o, NULL)) == 0)
		rc = carelog__write_file_durable(path, text, len);
	free(text);
	json_decref(records);
	return rc;
}

int carelog_export_file(carelog_store *s, const char *patient, const carelog_export_options *opts, const char *path)
{
	return carelog__store_result(s, export_file(s, patient, opts, path));
}
