// Package statusclient is the delivery agent's side of the status services
// of Postfix 3.7: it reports recipient status to the stock bounce(8) (as the
// bounce, defer and trace services), verify(8) and flush(8) daemons, with
// the wire bytes, endpoints, time limits and warnings of the stock clients
// (bounce.c, defer.c, trace.c, verify_clnt.c, flush_clnt.c on top of
// mail_command_client.c and mail_connect.c).
//
// The request methods are wire-level: each makes exactly the one exchange
// its stock counterpart makes (or, for VerifyAppend, the one or two), and
// sends the Recipient and DSN it is given without rewriting them, except
// where the stock wire function itself rewrites (trace_append's
// "delivery via RELAY: " reason prefix). Which request to make for a
// delivery outcome is the agent's decision; PlanSent and Client.Sent encode
// the stock sent() composition because it is easy to get subtly wrong.
//
// Every exchange uses its own connection: connect to CLASS/SERVICE relative
// to Config.Dir (empty: the current directory, i.e. the queue directory
// the daemon chroots into), read the server's protocol announcement
// strictly, send one attribute list, read the status reply, close. That is
// mail_command_client; stock verify keeps a persistent clnt_stream
// instead, which verify(8), a multi-server, serves the same way.
//
// Errors returned read exactly like the warning the stock client logs at
// the same point ("connect to private/bounce: No such file or directory");
// warnings that stock logs without ending the call (connect retries,
// scanner complaints, verify's "problem talking to service") go to
// Config.Warn.
package statusclient
