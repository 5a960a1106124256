/*
 * carelog/common.h - export macro, error codes, the per-thread last error,
 * version, and the free function for strings the library returns.
 */
#ifndef CARELOG_COMMON_H
#define CARELOG_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
#define CARELOG_BEGIN_DECL extern "C" {
#define CARELOG_END_DECL }
#else
#define CARELOG_BEGIN_DECL
#define CARELOG_END_DECL
#endif

#if defined(__GNUC__)
#define CARELOG_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define CARELOG_EXTERN(type) type
#endif

CARELOG_BEGIN_DECL

/** Size of a buffer that holds a record id and its terminating NUL. */
#define CARELOG_ID_BUFSIZE 37

/**
 * Error codes. Every function that can fail returns 0 (CARELOG_OK) or one of
 * these negative codes, and leaves a message in the per-thread last error
 * (carelog_error_last) and, for calls on a store, in the store
 * (carelog_store_errmsg). Codes are only ever added at the end.
 */
typedef enum {
	CARELOG_OK = 0,
	CARELOG_ERROR = -1,     /**< a failure not covered by a more precise code */
	CARELOG_EINVALID = -2,  /**< invalid input or usage; nothing was written */
	CARELOG_ENOTFOUND = -3, /**< the store, patient or record does not exist */
	CARELOG_EEXISTS = -4,   /**< the store or record already exists */
	CARELOG_ELOCKED = -5,   /**< another writer held the store lock past the timeout */
	CARELOG_EIO = -6,       /**< reading or writing a file failed */
	CARELOG_ECORRUPT = -7,  /**< stored data failed a consistency check */
	CARELOG_ENOMEM = -8,    /**< out of memory */
	CARELOG_EMOVED = -9,    /**< a chart head kept moving under a write; retry */
	CARELOG_EREMOTE = -10   /**< a remote or bundle failed or sent invalid data */
} carelog_error_code;

/** The last error raised on the calling thread. */
typedef struct {
	int code;            /**< a carelog_error_code */
	const char *message; /**< what is wrong, naming the value at fault */
} carelog_error;

/**
 * The last error raised by a carelog call on this thread.
 *
 * @return never NULL; {0, ""} when no call on this thread has failed. The
 *         message stays valid until the next failing carelog call on this
 *         thread.
 */
CARELOG_EXTERN(const carelog_error *) carelog_error_last(void);

/** Clears the calling thread's last error. */
CARELOG_EXTERN(void) carelog_error_clear(void);

/** The library version, "MAJOR.MINOR.PATCH". Static storage; never free it. */
CARELOG_EXTERN(const char *) carelog_version(void);

/**
 * Frees a string that a carelog function returned through a `char **`
 * out-parameter. carelog_free(NULL) does nothing.
 */
CARELOG_EXTERN(void) carelog_free(void *ptr);

CARELOG_END_DECL

#endif
