/*
 * oracle - run stock Postfix's MIME engine (libpostfix-global) the way
 * smtp(8) does when it downgrades 8-bit content, for differential tests.
 *
 * stdin:  cases. Each is a 'C' record "nesting_limit boundary_limit
 *         header_size_limit", content records ('N' or 'L'), and a 'Z'
 *         record that stands for the X record. A record is a type byte,
 *         a 4-byte big-endian length and the text.
 * stdout: per case, the records smtp(8) would hand to smtp_text_out(),
 *         an 'E' record "dsn text" if the engine reported a MIME error
 *         (smtp stops there), and a 'Z' record.
 *
 * Build: cc -DLINUX6 -I$SRC/util -I$SRC/global oracle.c \
 *        -L/usr/lib/postfix -lpostfix-global -lpostfix-util \
 *        -Wl,-rpath,/usr/lib/postfix
 */
#include <sys_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vstring.h>
#include <msg_vstream.h>
#include <vstream.h>
#include <rec_type.h>
#include <mail_params.h>
#include <header_opts.h>
#include <mime_state.h>

static void put_rec(int type, const char *text, ssize_t len)
{
    unsigned char hdr[5];

    hdr[0] = type;
    hdr[1] = (len >> 24) & 0xff;
    hdr[2] = (len >> 16) & 0xff;
    hdr[3] = (len >> 8) & 0xff;
    hdr[4] = len & 0xff;
    fwrite(hdr, 1, 5, stdout);
    fwrite(text, 1, len, stdout);
}

/* Like smtp_header_out(): one record per line of a multi-line header. */
static void head_out(void *ctx, int class, const HEADER_OPTS *info,
		             VSTRING *buf, off_t offset)
{
    char   *line = vstring_str(buf);
    char   *nl;

    for (;;) {
	if ((nl = strchr(line, '\n')) == 0) {
	    put_rec('N', line, strlen(line));
	    return;
	}
	put_rec('N', line, nl - line);
	line = nl + 1;
    }
}

static void body_out(void *ctx, int type, const char *text, ssize_t len,
		             off_t offset)
{
    put_rec(type, text, len);
}

static void fail(int errs)
{
    const MIME_STATE_DETAIL *d = mime_state_detail(errs);
    char    buf[200];

    snprintf(buf, sizeof(buf), "%s %s", d->dsn, d->text);
    put_rec('E', buf, strlen(buf));
}

/* get_rec - read one record; the text is null-terminated like a VSTRING */
static int get_rec(char **text, size_t *len)
{
    unsigned char hdr[5];

    if (fread(hdr, 1, 5, stdin) != 5)
	return (0);
    *len = ((size_t) hdr[1] << 24) | (hdr[2] << 16) | (hdr[3] << 8) | hdr[4];
    *text = realloc(*text, *len + 1);
    if (fread(*text, 1, *len, stdin) != *len)
	exit(2);
    (*text)[*len] = 0;
    return (hdr[0]);
}

int     main(void)
{
    MIME_STATE *st = 0;
    char   *text = 0;
    size_t  len;
    int     type;
    int     errs = 0;

    msg_vstream_init("oracle", VSTREAM_ERR);
    var_drop_hdrs = "";
    while ((type = get_rec(&text, &len)) != 0) {
	switch (type) {
	case 'C':
	    if (sscanf(text, "%d %d %d", &var_mime_maxdepth,
		       &var_mime_bound_len, &var_header_limit) != 3)
		exit(2);
	    st = mime_state_alloc(MIME_OPT_DOWNGRADE | MIME_OPT_REPORT_NESTING,
				  head_out, (MIME_STATE_ANY_END) 0,
				  body_out, (MIME_STATE_ANY_END) 0,
				  (MIME_STATE_ERR_PRINT) 0, (void *) 0);
	    errs = 0;
	    break;
	case 'N':
	case 'L':
	    if (errs == 0 && (errs = mime_state_update(st, type == 'L' ?
				REC_TYPE_CONT : REC_TYPE_NORM, text, len)) != 0)
		fail(errs);
	    break;
	case 'Z':
	    if (errs == 0 && (errs = mime_state_update(st, REC_TYPE_XTRA,
						       "", 0)) != 0)
		fail(errs);
	    st = mime_state_free(st);
	    put_rec('Z', "", 0);
	    fflush(stdout);
	    break;
	default:
	    exit(2);
	}
    }
    return (0);
}
