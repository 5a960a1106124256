/*
 * carelog/sync.h - exchanging charts with remotes over plain git, merging
 * them record by record, conflicts and their resolution, and bundles.
 *
 * A remote is a base URL: the chart of patient P lives at `<base>/<P>.git`.
 * URLs may be paths, `file://`, `git://`, `http(s)://` (smart HTTP) or
 * `ssh://`. Remotes are kept in `<store>/remotes.json` (outside carelog.db,
 * so deleting the index loses none of them).
 *
 * Sync of a chart: fetch, check everything received, merge, push; when the
 * push is refused because the remote moved on, fetch and merge again (a
 * bounded number of times). The merge is record-aware and deterministic: a
 * record changed on one side only is taken from that side; a record changed
 * on both sides goes to the version with the later hybrid-clock stamp (ties:
 * the larger device id), and the other version is kept in the chart at
 * `conflicts/<record-id>/<blob-id>.json` until a person resolves it. Any set
 * of stores that have exchanged all commits holds the same tree per chart.
 *
 * Everything received is untrusted: every new commit is walked and every
 * changed path must be a record path whose blob (its size read first, and
 * capped) is a valid, canonical record of the chart's patient with the id
 * its path names; kinds and patients never change, records are never
 * deleted, and a history with another root is refused. On any violation
 * that chart's sync stops with an error naming the commit and path, and the
 * local chart and index are left as they were.
 *
 * Credentials come from libgit2 callbacks: for ssh, the ssh-agent
 * (SSH_AUTH_SOCK) or the key file in $CARELOG_SSH_KEY; for http(s), the
 * token in $CARELOG_HTTP_TOKEN (user $CARELOG_HTTP_USER, default "carelog"),
 * else what git's credential helpers answer (`git credential fill`, run
 * with GIT_TERMINAL_PROMPT=0: it never prompts). An ssh server's host key
 * must be in $CARELOG_SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts (plain or
 * hashed entries). They are never written to a chart or printed. TLS certificates are always
 * verified; `ca_file` adds a CA (libgit2 keeps this setting per process).
 */
#ifndef CARELOG_SYNC_H
#define CARELOG_SYNC_H

#include <stddef.h>

#include "common.h"
#include "store.h"
#include "write.h"

CARELOG_BEGIN_DECL

/* ---- remotes ---------------------------------------------------------- */

/**
 * Adds a remote. `name`: 1-64 characters of [A-Za-z0-9._-], not starting
 * with '.' or '-'. `url`: a path or a file://, git://, http://, https:// or
 * ssh:// URL (a path is stored absolute).
 * @return 0; CARELOG_EINVALID for a bad name or URL; CARELOG_EEXISTS if the
 *         name is taken; CARELOG_EIO if remotes.json cannot be written.
 */
CARELOG_EXTERN(int) carelog_remote_add(carelog_store *s, const char *name, const char *url);

/** Removes a remote. @return 0 or CARELOG_ENOTFOUND. */
CARELOG_EXTERN(int) carelog_remote_remove(carelog_store *s, const char *name);

/** The store's remotes, in the order they were added. Opaque. */
typedef struct carelog_remote_list carelog_remote_list;

/** Reads the remotes. Free *out with carelog_remote_list_free. */
CARELOG_EXTERN(int) carelog_remote_list_get(carelog_remote_list **out, carelog_store *s);
CARELOG_EXTERN(size_t) carelog_remote_list_count(const carelog_remote_list *l);
/** Name and URL of remote `i` (< count); valid until the list is freed. */
CARELOG_EXTERN(const char *) carelog_remote_list_name(const carelog_remote_list *l, size_t i);
CARELOG_EXTERN(const char *) carelog_remote_list_url(const carelog_remote_list *l, size_t i);
CARELOG_EXTERN(void) carelog_remote_list_free(carelog_remote_list *l);

/* ---- sync ------------------------------------------------------------- */

typedef enum {
	CARELOG_SYNC_FETCHING = 1, /**< receiving objects */
	CARELOG_SYNC_PUSHING = 2   /**< sending objects */
} carelog_sync_phase;

/** Progress of one chart's transfer. */
typedef struct {
	const char *remote;
	const char *patient;
	carelog_sync_phase phase;
	size_t objects_done;
	size_t objects_total;
	size_t bytes;
} carelog_sync_progress;

/** What happened to one chart. */
typedef struct {
	const char *remote;
	const char *patient;
	int error;             /**< 0, or the carelog error code that stopped it */
	const char *message;   /**< why it failed (NULL when error is 0) */
	size_t received;       /**< records new or changed here by the sync */
	size_t sent;           /**< records new or changed on the remote by it */
	size_t conflicts;      /**< conflicts open on the chart after the sync */
	int cloned;            /**< the chart was new to this store */
	int created;           /**< the chart was created on the remote */
	/** Versions of this device whose stamps were corrected: the remote's
	 *  hook found this device's clock ahead of the clinic's (see
	 *  carelog_sync). 0 when none. */
	size_t restamped;
	/** How far ahead of the clinic's clock this device's clock was found,
	 *  in ms, when `restamped` is set (0 when the clock is right now but
	 *  was ahead when the versions were written); else 0. */
	long long clock_ahead_ms;
	/** Bytes of the packs received from the remote (libgit2's count;
	 *  protocol overhead left out), over every attempt. */
	size_t bytes_received;
	/** Bytes sent to the remote: over git://, http(s):// and ssh:// all
	 *  that was written (commands and packs), to a path the packs, over
	 *  every attempt. Pushes send thin packs (deltas against what the
	 *  remote holds, as git's own push does) unless $CARELOG_THIN_PUSH is
	 *  0; a remote that cannot take one gets the push again, whole. */
	size_t bytes_sent;
} carelog_sync_result;

typedef struct {
	unsigned int version;           /**< CARELOG_SYNC_OPTIONS_VERSION */
	const char *const *patients;    /**< charts to bring in even if the store lacks them */
	size_t npatients;
	const char *ca_file;            /**< an extra CA certificate file for https, or NULL */
	/** Called during transfers; return non-zero to cancel that chart. */
	int (*progress)(const carelog_sync_progress *p, void *payload);
	/** Called once per chart when it is done, failed or not. */
	void (*chart_done)(const carelog_sync_result *r, void *payload);
	void *payload;
} carelog_sync_options;

#define CARELOG_SYNC_OPTIONS_VERSION 1
#define CARELOG_SYNC_OPTIONS_INIT { CARELOG_SYNC_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL, NULL }

/**
 * Syncs every chart of the store, plus `opts->patients`, with the remote
 * `remote` (NULL: with every remote, in the order they were added). Two
 * syncs of one store never interleave: the second waits for the first (the
 * store's sync lock, bounded by the store's lock timeout). Writers are held
 * only while a merge is applied, not during transfers.
 *
 * Everything received is checked before it is merged. From the 512th
 * record version a received history adds or changes, its records are
 * checked on threads of their own while the calling thread reads and
 * indexes them: one per CPU the process may run on but one, at most 8, or
 * as many as $CARELOG_CHECK_THREADS says (0: none). They are joined before
 * the chart's sync ends, never touch `s`, make no libgit2 call but reading
 * the bytes of blobs the calling thread read, and the callbacks are only
 * ever called on the calling thread. The same holds for
 * carelog_bundle_apply.
 *
 * A device whose clock is wrong: a clinic's charts (carelog init --role
 * clinic) refuse a push whose tip holds a version stamped more than five
 * minutes ahead of the server's clock, and say what that clock says. When
 * this device's own versions were the ones refused, each of them gets a new
 * version stamped as much earlier as this device's clock is ahead of the
 * server's (by no more than a year, whatever a server says), at most the
 * server's time, and still after the version it amended; its `time`, when
 * the device filled it in from its clock, moves back as much. A record in
 * conflict is decided again among its open versions, as the merge decides
 * (a version itself ahead of the server's clock is not put in its place).
 * All in one commit; then the chart is synced again (once). chart_done's
 * `restamped` and `clock_ahead_ms` tell (the latter 0 when the clock is
 * right now but was ahead when the versions were written); the wrong
 * versions stay in the record's history. So a phone days ahead does not
 * win every conflict at the clinic by accident. A path remote has no
 * server clock and no hook: nothing is checked there. But before any push
 * (and in carelog_bundle_create), this device's own versions stamped more
 * than five minutes ahead of its own clock, which must have been ahead
 * when it wrote them and is right again, get corrected stamps the same way,
 * to its clock (counted in `restamped`, `clock_ahead_ms` 0; their `time`
 * left as it is), unless another device's version is ahead of it too:
 * then it is this clock that is behind, and nothing is touched.
 *
 * @return 0 when every chart synced; CARELOG_EREMOTE when any chart failed
 *         (the others still synced; chart_done says which and why);
 *         CARELOG_ENOTFOUND for an unknown remote or when the store has no
 *         remotes; CARELOG_ELOCKED when another sync held the store too long.
 */
CARELOG_EXTERN(int) carelog_sync(carelog_store *s, const char *remote, const carelog_sync_options *opts);

/* ---- conflicts -------------------------------------------------------- */

/** The open conflicts of a patient (NULL: of every chart). Opaque. */
typedef struct carelog_conflict_list carelog_conflict_list;

/**
 * Lists open conflicts. Each is one losing version of a record next to the
 * record's current (winning) version.
 * @return 0; CARELOG_ENOTFOUND for an unknown patient.
 */
CARELOG_EXTERN(int) carelog_conflicts(carelog_conflict_list **out, carelog_store *s, const char *patient);
CARELOG_EXTERN(size_t) carelog_conflict_count(const carelog_conflict_list *l);
/** Conflict `i` as a JSON object: record, patient, winner, loser (the two
 *  versions, whole), loser_version (the id `resolve --keep` takes), fields
 *  (the names that differ). Valid until the list is freed. */
CARELOG_EXTERN(const char *) carelog_conflict_json(const carelog_conflict_list *l, size_t i);
/** All of them as one JSON array (malloc'd; free with carelog_free). */
CARELOG_EXTERN(char *) carelog_conflicts_json(const carelog_conflict_list *l);
CARELOG_EXTERN(void) carelog_conflict_list_free(carelog_conflict_list *l);

/**
 * Resolves the conflicts of `record`: writes a new version that supersedes
 * every version in conflict and removes them, in one commit that syncs like
 * any write. `keep` is "winner", "loser" (when there is one loser) or a
 * version id listed by carelog_conflicts (a prefix of at least 7 hex
 * digits); `keep` NULL keeps the winner. `sets` are FIELD=VALUE changes
 * applied on top, as carelog_amend takes them.
 * @return 0; CARELOG_ENOTFOUND when the
 * record has no open conflict or `keep` names no version of it;
 * CARELOG_EINVALID for a bad field or value.
 */
CARELOG_EXTERN(int) carelog_resolve(carelog_store *s, const char *record, const char *keep,
	const carelog_field *sets, size_t nsets);

/* ---- the clinic's server-side check ----------------------------------- */

/**
 * Makes every chart of the store (now and later) refuse pushes that fail
 * carelog's checks: writes hooks/pre-receive running `program hook
 * pre-receive` into each chart, and records `program` in device.json so
 * that charts added later get it too (also charts a device pushed into
 * place, on the store's next open). For clinic stores; `carelog init --role
 * clinic` calls it with its own path.
 * @param program  absolute path of the carelog program
 * @return 0; CARELOG_EINVALID for a path that is not an absolute
 *         executable; CARELOG_EIO when a hook cannot be written.
 */
CARELOG_EXTERN(int) carelog_store_set_hook(carelog_store *s, const char *program);

/**
 * The pre-receive check of one ref update, run by git inside the hook (the
 * chart and the pushed objects come from git's environment: GIT_DIR and the
 * quarantine's GIT_OBJECT_DIRECTORY). Only refs/heads/main may change, never
 * be deleted or lose history, and every new commit must pass the checks a
 * sync applies.
 * @return 0 to accept; CARELOG_EREMOTE with the reason (naming the commit
 *         and path) to refuse; CARELOG_EINVALID for malformed input.
 */
CARELOG_EXTERN(int) carelog_check_push(const char *old_hex, const char *new_hex, const char *ref);

/* ---- bundles (sneakernet) --------------------------------------------- */

/**
 * Writes the chart of `patient` to `file` as a git bundle (format v2, which
 * `git bundle verify FILE` and `git clone FILE` accept): all of its history,
 * or with `since_remote` only what that remote had not seen when the chart
 * last synced with it (its `refs/remotes/<remote>/main`, which the bundle
 * names as its prerequisite). The file is written atomically and durably
 * (a temp file beside it, fsynced, renamed); it holds the patient's records,
 * so it is created readable by its owner only. A chart that has nothing new
 * for the remote gives a bundle of its prerequisite alone. This device's
 * own versions stamped ahead of its clock are corrected first, in a commit
 * of their own, as before a sync's push (carelog_sync).
 * @return 0; CARELOG_ENOTFOUND for an unknown patient or remote, or when the
 *         chart has never synced with `since_remote` (the message names it);
 *         CARELOG_EINVALID for a missing patient or file; CARELOG_EIO when
 *         the file cannot be written (no partial file is left).
 */
CARELOG_EXTERN(int) carelog_bundle_create(carelog_store *s, const char *patient, const char *file,
	const char *since_remote);

/**
 * Applies a bundle made by carelog_bundle_create (or by `git bundle create
 * FILE main`, `HEAD main` with it): the header must be format v2 with
 * exactly one refs/heads/main (HEAD, if listed, the same commit) and each
 * prerequisite on the main of a chart in the store. The chart it belongs to
 * is the patient every record in its tip names (the prerequisites' chart
 * when it has any). Everything in it is checked as a sync checks a fetch
 * (carelog_sync): paths, records, patients, deletions, roots, sizes; then
 * it is merged into the chart as a sync merges (conflicts kept), or becomes
 * the chart when the store lacks it, and the index catches up. A clinic
 * store (one with a hook program) also refuses a bundle whose tip brings a
 * version stamped more than five minutes ahead of its clock, as its charts'
 * hook refuses such a push, naming the device. Applying a
 * bundle twice changes nothing the second time. It holds the store's sync
 * lock as carelog_sync does, so it never interleaves with a sync of the
 * store (it waits for one, up to the store's lock timeout).
 *
 * @param patient_out receives the chart's patient on success (may be NULL)
 * @param received    receives how many records are new or changed here
 *                    (may be NULL)
 * @return 0; CARELOG_EREMOTE when the bundle is refused (not a v2 bundle, a
 *         damaged or cut short pack, a history that fails the checks: the
 *         message names the commit and path); CARELOG_ENOTFOUND when the
 *         file does not exist or a prerequisite commit is not in the store
 *         (the message names it); CARELOG_EINVALID for a missing file name;
 *         CARELOG_ELOCKED, CARELOG_EIO as for writes. On any error the
 *         store's charts, their heads and the index are as they were.
 */
CARELOG_EXTERN(int) carelog_bundle_apply(carelog_store *s, const char *file, char patient_out[CARELOG_ID_BUFSIZE],
	size_t *received);

CARELOG_END_DECL

#endif
