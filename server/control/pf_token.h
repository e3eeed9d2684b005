/* pf_token: the control channel's shared secret, in a file.
 *
 * Loopback is reachable by every local user, so the control channel needs
 * a secret that only the operator can read: a random token in a file of
 * mode 0600. If the file is missing it is created (O_EXCL, never through a
 * symbolic link) with 32 random bytes from getrandom(), written as 64 hex
 * digits. An existing file is refused when it is not a regular file or
 * when its group or others may read or write it: a token others can read
 * protects nothing.
 */
#ifndef PF_TOKEN_H
#define PF_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define PF_TOKEN_HEX_LEN 64
#define PF_TOKEN_MAX 128 /* longest token accepted, in the file and from a client */

/* Load (or create) the token in path into token (size >= 129 bytes; the
 * file's first line, whitespace trimmed, 1..128 bytes). 0 or -1 with
 * "control.token_file PATH: REASON" in err. */
int pf_token_load(const char *path, char *token, size_t size, char *err, size_t errlen);

/* Write a new random token (hex) into token (size > PF_TOKEN_HEX_LEN). */
int pf_token_generate(char *token, size_t size);

/* Compare two tokens in time independent of where they differ (and of the
 * given token's length beyond the expected one's). */
bool pf_token_equal(const char *expected, const char *given);

/* The token an HTTP Authorization header's value carries: "Bearer TOKEN",
 * or "Basic BASE64" of "USER:TOKEN" (any user name: a browser's login
 * dialog asks for both; the password is the token). The scheme is
 * case-insensitive; spaces around the credentials are skipped. 0 with
 * the token in token (size > PF_TOKEN_MAX), or -1 when the value is
 * neither, malformed (bad base64, no ':', a NUL or control byte), or its
 * token is empty or longer than PF_TOKEN_MAX. */
int pf_token_from_authorization(const char *value, char *token, size_t size);

#endif
