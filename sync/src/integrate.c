/*
 * integrate.c - bringing a checked history into the store, shared by sync
 * (a fetch) and bundles (a file): merging it into a chart the store has, or
 * putting a new chart in place. Both run under the store lock (writers wait
 * only for this, not for the transfer) and catch the index up before the
 * lock is let go.
 */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "index.h"
#include "sync_internal.h"

static int is_descendant(git_repository *repo, const git_oid *a, const git_oid *b)
{
	return git_oid_equal(a, b) || git_graph_descendant_of(repo, a, b) == 1;
}

/* Under the store lock: brings `incoming` into the chart's main. *new_head
 * receives the result. */
static int integrate(git_oid *new_head, carelog_store *s, carelog__chart *c, const git_oid *incoming,
	const char *source)
{
	git_oid head;
	int rc = 0;

	for (int attempt = 0; attempt < CARELOG__SYNC_ATTEMPTS; attempt++) {
		carelog__put *puts = NULL;
		size_t nputs = 0;
		git_oid parents[2], merged;
		char msg[160];

		if ((rc = carelog__chart_head(&head, c)) < 0)
			return rc;
		if (is_descendant(c->repo, &head, incoming)) {
			*new_head = head;
			return 0;
		}
		if (is_descendant(c->repo, incoming, &head)) {
			rc = carelog__chart_publish(c, incoming, &head);
			*new_head = *incoming;
		} else {
			if ((rc = carelog__merge_puts(&puts, &nputs, c->repo, &head, incoming)) < 0)
				return rc;
			parents[0] = head;
			parents[1] = *incoming;
			snprintf(msg, sizeof(msg), "merge %s", source);
			rc = carelog__chart_stage_parents(&merged, c, parents, 2, puts, nputs, msg, s->author, s->device);
			free(puts);
			if (rc == 0)
				rc = carelog__chart_publish(c, &merged, &head);
			*new_head = merged;
		}
		if (rc != CARELOG_EMOVED)
			return rc;
	}
	return rc;
}

int carelog__integrate(git_oid *new_head, carelog_store *s, carelog__chart *c, const git_oid *incoming,
	const char *source)
{
	int rc = carelog__lock(s);
	if (rc < 0)
		return rc;
	if (incoming)
		rc = integrate(new_head, s, c, incoming, source);
	else
		rc = carelog__chart_head(new_head, c);
	if (rc == 0)
		rc = carelog__index_catchup(s, c);
	carelog__unlock(s);
	return rc;
}

/* Checks tmp's history and puts the tip's records into the index as they
 * are checked, inside the caller's index transaction (store lock held). */
static int check_indexing(carelog_store *s, carelog__chart *tmp, const git_oid *tip)
{
	carelog__tip_index t;
	int rc = carelog__tip_index_init(&t, s, tmp->repo, tip);
	if (rc == 0)
		rc = carelog__validate_history_each(tmp->repo, tmp->patient, tip, NULL, carelog__tip_index_record, &t);
	carelog__tip_index_free(&t);
	return rc == 0 ? carelog__index_set_head(s, tmp->patient, tip) : rc;
}

/* Under the store lock, in an index transaction: the history of tmp is
 * checked, its tip's records indexed as they are checked (unless the index
 * still holds a head of an earlier chart of this patient: the catch-up then
 * reconciles those rows as it always did). Then the chart goes in place
 * and the index catches up. */
int carelog__install_new_chart(carelog__chart **out, carelog_store *s, carelog__chart *tmp, const git_oid *tip)
{
	git_reference *ref = NULL;
	git_oid indexed;
	int rc;

	*out = NULL;
	if ((rc = git_reference_create(&ref, tmp->repo, CARELOG__REF, tip, 0, NULL)) < 0) {
		carelog__chart_discard_temp(tmp);
		return carelog__git_fail(rc, "cannot set the new chart's head");
	}
	git_reference_free(ref);
	if ((rc = carelog__lock(s)) < 0) {
		carelog__chart_discard_temp(tmp);
		return rc;
	}
	if (carelog__chart_exists(s, tmp->patient)) {
		rc = carelog__fail(CARELOG_EMOVED, "chart %s appeared in the store meanwhile; try again", tmp->patient);
		carelog__chart_discard_temp(tmp);
		goto out;
	}
	if ((rc = carelog__index_begin(s)) == 0) {
		rc = carelog__index_head(&indexed, s, tmp->patient);
		if (rc == CARELOG_ENOTFOUND)
			rc = check_indexing(s, tmp, tip);
		else if (rc == 0)
			rc = carelog__validate_history(tmp->repo, tmp->patient, tip, NULL);
	}
	if (rc < 0) {
		carelog__index_rollback(s); /* nothing to undo if none began */
		carelog__chart_discard_temp(tmp);
		goto out;
	}
	/* the index commits once the chart is in place, so that it never names
	 * a chart the store lacks; the catch-up, in its own transaction (it
	 * retries after one failure), then finds nothing left to do */
	if ((rc = carelog__chart_install(out, s, tmp)) == 0)
		rc = carelog__index_commit(s);
	else
		carelog__index_rollback(s);
	if (rc == 0)
		rc = carelog__index_catchup(s, *out);
out:
	carelog__unlock(s);
	return rc;
}
