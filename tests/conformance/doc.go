// Package conformance is the acceptance test that holds our scache(8) to
// the stock one byte for byte.
//
// One private Postfix instance runs both servers under the real master(8)
// at the same time: the stock scache as the usual "scache" service and ours
// as a second service "goscache". Every scenario runs the same client code
// against both sockets, records every byte the client sends and reads
// (plus what it observes on the descriptors it passed), and compares the
// two transcripts and the warnings each server logged. A stress part then
// hammers our server alone and watches its descriptor count.
//
// The package has only tests; they need root and the postfix package and
// skip otherwise (see tests/harness).
package conformance
