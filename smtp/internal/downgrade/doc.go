// Package downgrade is the 8bit-to-7bit MIME conversion that stock
// smtp(8) applies to message content when the server did not announce
// 8BITMIME (spec §5.12): the mime_state engine with the options
// MIME_OPT_DOWNGRADE|MIME_OPT_REPORT_NESTING and smtp_header_out() /
// smtp_text_out() as its output routines.
//
// Input is the queue-file content as records: text of an N record (a
// complete line) or of an L record (a fragment; the line goes on in the
// next record), in file order, then Close at the X record. Output goes
// to a RecordWriter in the same N/L form; smtpwire.ContentWriter turns
// that into dot-stuffed, folded DATA text.
//
// What the engine does, in short:
//
//   - It follows the MIME structure: header blocks (primary, after a
//     multipart boundary, at the start of message/rfc822 content),
//     multipart boundaries (a stack of them, matched by prefix), and
//     message/rfc822 nesting. Headers are collected across continuation
//     lines and L records before they are looked at.
//   - Only entities whose Content-Transfer-Encoding is 8bit or binary are
//     converted. Their CTE header is dropped and a new one is emitted at
//     the end of the entity's header block: "7bit" for multipart/* and
//     message/* other than message/global, "quoted-printable" otherwise.
//     The body of a converted leaf entity is quoted-printable encoded.
//   - Anything else passes unchanged, including 8-bit bytes in headers
//     and in entities without a CTE header. Stock smtp does not ask the
//     engine to report those, so they are not errors here either.
//   - The one error stock smtp reports is too deep multipart nesting
//     (mime_nesting_limit): 5.6.0 "MIME nesting exceeds safety limit".
//     The caller must then fail the message and drop the connection
//     without ending DATA, as stock does.
//
// Limits mirror the stock parameters: header_size_limit (text beyond it
// is dropped from a header, silently), mime_boundary_length_limit (a
// longer boundary is truncated, which turns matching into a prefix
// match) and mime_nesting_limit.
//
// A Downgrader is for one content pass of one goroutine; it holds no
// global state.
package downgrade
