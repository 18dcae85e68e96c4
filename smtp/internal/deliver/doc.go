// Package deliver speaks the delivery agent's side of Postfix's
// delivery_request_protocol, the conversation in which qmgr(8) hands one
// message with a list of recipients to smtp(8)/lmtp(8) and learns the
// outcome:
//
//  1. the agent announces itself (Announce) before reading anything, because
//     qmgr waits for that announcement before it writes;
//  2. qmgr sends one list of 23 message attributes and then
//     recipient_count lists of 5 recipient attributes (Read);
//  3. after delivery the agent answers with the "hop status" DSN and an
//     integer status (WriteReply);
//  4. the agent waits for qmgr to close the connection (AwaitClose) before
//     it lets go of the queue file.
//
// Read applies the stock agent's rules (deliver_request_get in Postfix
// 3.7): attributes in one fixed order and nothing else, the same sanity
// checks, and the same warnings, which it reports through the scanner's
// Warn hook in the order stock logs them. A request that fails any check
// is answered with status -1 and an empty hop status; a connection that
// qmgr closes before sending anything is not answered at all.
//
// Postfix 3.10 renamed the eighth attribute from smtputf8 to sendopts
// without changing its position or its existing bits; Read accepts either
// name so that one binary works with qmgr from 3.7 through 3.12.
package deliver
