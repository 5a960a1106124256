/*
 * peer_git.c - the git CLI alone, run with fork/exec: what one file per
 * record costs in a plain non-bare repository. The scratch repository is
 * made as durable as a carelog chart (core.fsync=all, as carelog configures
 * its charts; core.fsyncMethod=batch so that `git add` of many files
 * flushes once), with gc.auto=0 so that no background gc runs during or
 * after a timing. Global and system git configuration are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char repo_config[] =
	"[user]\n\tname = bench\n\temail = bench@localhost\n"
	"[core]\n\tfsync = all\n\tfsyncMethod = batch\n\tautocrlf = false\n"
	"[gc]\n\tauto = 0\n"
	"[commit]\n\tgpgSign = false\n";

static int repo_init(const char *dir)
{
	char *argv[] = { "git", "init", "-q", "-b", "main", (char *)dir, NULL };
	char path[BENCH_PATH_MAX];
	FILE *f;
	if (bench_run(NULL, argv, NULL) < 0) {
		bench_log("git: git init %s failed", dir);
		return -1;
	}
	if ((f = fopen(bench_path(path, dir, ".git/config"), "a")) == NULL)
		return -1;
	fputs(repo_config, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int add_and_commit(const char *dir, const char *what, const char *message, double *rss)
{
	char *add[] = { "git", "add", (char *)what, NULL };
	char *commit[] = { "git", "commit", "-q", "--no-verify", "-m", (char *)message, NULL };
	if (bench_run(dir, add, rss) < 0 || bench_run(dir, commit, rss) < 0) {
		bench_log("git: add/commit of %s failed", what);
		return -1;
	}
	return 0;
}

/* Where a line goes in the work tree: <kind>/<YYYY>/<MM>/<id>.json as in a
 * chart, or by line number when the line lacks one of them. */
static void line_path(char *rel, size_t sz, char *subdir, size_t subsz, const char *line, size_t lineno)
{
	char id[64], kind[32], time[64];
	if (bench_line_field(id, sizeof(id), line, "id") == 0 && bench_line_field(kind, sizeof(kind), line, "kind") == 0 &&
	    bench_line_field(time, sizeof(time), line, "time") == 0 && strlen(time) >= 7) {
		snprintf(subdir, subsz, "%s/%.4s/%.2s", kind, time, time + 5);
		snprintf(rel, sz, "%s/%s.json", subdir, id);
	} else {
		snprintf(subdir, subsz, "records/%03zu", lineno / 1000);
		snprintf(rel, sz, "%s/%06zu.json", subdir, lineno);
	}
}

/* Writes one work-tree file per line. */
static int write_tree(const char *repo, FILE *in, size_t *files)
{
	char *line = NULL, made[256] = "", subdir[256], rel[512], path[BENCH_PATH_MAX];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (bench_is_blank(line))
			continue;
		line_path(rel, sizeof(rel), subdir, sizeof(subdir), line, lineno);
		if (strcmp(subdir, made) != 0) {
			bench_path(path, repo, subdir);
			rc = bench_mkdirs(path);
			snprintf(made, sizeof(made), "%s", subdir);
		}
		bench_path(path, repo, rel);
		if (rc == 0 && (rc = bench_write_file(path, line, (size_t)len)) == 0)
			(*files)++;
	}
	free(line);
	if (rc < 0)
		bench_log("git: cannot write %s", path);
	return rc;
}

static void disk_per_record(double *alloc_b, double *apparent_b, const char *repo, double records)
{
	char git_dir[BENCH_PATH_MAX];
	unsigned long long alloc, apparent;
	if (bench_disk_usage(bench_path(git_dir, repo, ".git"), &alloc, &apparent) == 0) {
		*alloc_b = (double)alloc / records;
		*apparent_b = (double)apparent / records;
	}
}

int git_peer_import(bench_peer *p, const bench_input *in, const char *dir)
{
	char repo[BENCH_PATH_MAX];
	size_t files = 0;
	double t0, t1, rss = 0;
	FILE *f;
	int rc;

	bench_log("git: writing %zu files into a work tree, then git add -A && git commit", in->lines);
	if (repo_init(bench_path(repo, dir, "git-bulk")) < 0 || (f = fopen(in->path, "r")) == NULL)
		return -1;
	t0 = bench_now();
	rc = write_tree(repo, f, &files);
	fclose(f);
	t1 = bench_now();
	if (rc == 0)
		rc = add_and_commit(repo, "-A", "import", &rss);
	if (rc < 0 || files == 0)
		return -1;
	p->import_s = bench_now() - t0;
	bench_log("git: %zu files written in %.2f s, git add -A + commit in %.2f s", files, t1 - t0, bench_now() - t1);
	p->import_records = (double)files;
	p->import_rps = (double)files / p->import_s;
	p->rss_mb = rss;
	disk_per_record(&p->bulk_alloc_b, &p->bulk_apparent_b, repo, (double)files);
	return 0;
}

typedef struct {
	char repo[BENCH_PATH_MAX];
	size_t files, file_len;
} single_session;

static int single_open(void **session, const char *dir)
{
	single_session *ss = calloc(1, sizeof(*ss));
	char doses[BENCH_PATH_MAX];
	*session = ss;
	if (ss == NULL || repo_init(bench_path(ss->repo, dir, "git-single")) < 0)
		return -1;
	return bench_mkdirs(bench_path(doses, ss->repo, "doses"));
}

/* One record: write its file, git add it, git commit. */
static int single_write(void *session, size_t i)
{
	single_session *ss = session;
	char row[512], rel[64], path[BENCH_PATH_MAX], message[64];
	bench_dose_row(row, sizeof(row), i);
	ss->file_len = strlen(row);
	snprintf(rel, sizeof(rel), "doses/%06zu.json", i);
	bench_path(path, ss->repo, rel);
	snprintf(message, sizeof(message), "dose %zu", i);
	if (bench_write_file(path, row, ss->file_len) < 0 || add_and_commit(ss->repo, rel, message, NULL) < 0)
		return -1;
	ss->files++;
	return 0;
}

static int single_close(void *session, bench_peer *p)
{
	single_session *ss = session;
	if (ss == NULL)
		return -1;
	if (ss->files) {
		p->row_bytes = (double)ss->file_len;
		p->single_records = (double)ss->files;
		disk_per_record(&p->single_alloc_b, &p->single_apparent_b, ss->repo, p->single_records);
	}
	free(ss);
	return 0;
}

const bench_single_ops git_single_ops = { "git", single_open, single_write, single_close };
