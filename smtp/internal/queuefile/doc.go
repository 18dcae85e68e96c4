// Package queuefile is the delivery agent's view of a Postfix 3.7 queue
// file: the record framing written by cleanup(8), the path rules of
// mail_queue(3), the open-and-share-lock step of deliver_request_get(),
// reading the message content between the data offset and the XTRA
// record, and crossing off a recipient (R -> D) after its final status
// was recorded.
//
// The package never logs. Every failure is an *Error that carries the
// text stock Postfix logs for the same condition and the severity stock
// gives it (warning and defer, fatal exit, panic), so the agent can log
// exactly what smtp(8) would and react the same way.
//
// The agent does not parse the envelope: qmgr(8) sends everything it
// needs (data offset, sizes, recipients with their record offsets).
// What the agent must understand is the content (N and L records, with
// p and w records handled transparently, ended by X) and the position
// of each recipient's R record.
//
// A File and the readers made from it are meant for the one goroutine
// that handles the delivery request, like the stock agent's VSTREAM.
package queuefile
