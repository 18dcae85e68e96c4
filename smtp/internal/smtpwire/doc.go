// Package smtpwire is the wire layer of the SMTP/LMTP client of Postfix
// 3.7.11's smtp(8)/lmtp(8): everything between the socket and the protocol
// state machine, with stock behaviour down to the byte.
//
//   - ReadReply reads one server reply the way smtp_chat_resp() does
//     (smtp_chat.c on top of smtp_get() in smtp_stream.c): multi-line
//     replies, the three-digit check, "garbage" lines, truncation of long
//     lines at line_length_limit, the cap on stored multi-line text,
//     printable() sanitising, smtp_reply_filter, and the reply code and
//     enhanced status taken from the last line.
//   - ParseEHLO turns an EHLO/LHLO reply into the SMTP_FEATURE_* bits of
//     smtp.h (smtp_helo() in smtp_proto.c), honouring the
//     smtp_discard_ehlo_keywords mask; ParseGreeting does the same for the
//     220 banner.
//   - WriteCommand and ContentWriter produce what smtp_chat_cmd() and
//     smtp_text_out() put on the wire: CRLF-terminated commands, and message
//     content with dot-stuffing and smtp_line_length_limit folding
//     ("<CR><LF>SPACE"), the missing final newline and the "." line.
//   - CheckCode and ClassifyFailure are smtp_check_code() and the
//     reply-dependent part of vsmtp_fill_dsn()/smtp_rcpt_fail()
//     (smtp_trouble.c).
//
// Unlike Postfix, every read is also bounded in total: a server that never
// ends its reply (an endless line, endless continuation or garbage lines)
// makes ReadReply fail with ErrReplyTooLong after ReadOptions.MaxBytes or
// MaxLines, where stock Postfix would keep reading until a timeout. Memory
// use per reply is bounded by roughly twice line_length_limit either way.
//
// Deadlines are the caller's: set them on the connection before each read
// or write. I/O failures come back as *IOError, which knows whether Postfix
// would call it a timeout ("conversation with %s timed out while %s") or a
// lost connection ("lost connection with %s while %s"). The package keeps no
// global state and does no logging; things stock Postfix logs while reading
// a reply are handed to ReadOptions.Event.
package smtpwire
