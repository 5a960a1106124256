/*
 * tree_diff.h - the files that differ between two trees, reading only the
 * subtrees that differ (tree_diff.c says why not git_diff_tree_to_tree).
 */
#ifndef CARELOG_TREE_DIFF_H
#define CARELOG_TREE_DIFF_H

#include <git2.h>

/* One file that differs. `path` is valid during the callback only.
 * ADDED: new_* set; DELETED: old_* set; MODIFIED: both. */
typedef struct {
	const char *path;
	git_delta_t status;
	const git_oid *old_id, *new_id;
	unsigned old_mode, new_mode;
} carelog__tree_change;

/* Returns non-zero (negative) to stop the walk; that value is returned. */
typedef int (*carelog__tree_diff_cb)(const carelog__tree_change *ch, void *payload);

/* Calls cb for every file that differs between trees a and b (either may be
 * NULL: the empty tree), in git's tree order. Subtrees with the same id on
 * both sides are skipped unread. */
int carelog__tree_diff(git_repository *repo, const git_oid *a, const git_oid *b, carelog__tree_diff_cb cb,
	void *payload);

#endif
