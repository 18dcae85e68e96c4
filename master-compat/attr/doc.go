// Package attr implements the attribute-list encodings that Postfix daemons
// speak to each other: attr0 (name NUL value NUL … NUL), which every internal
// service of Postfix 3.7 uses, and plain (name=value LF … LF), which smtp(8)
// uses for the property strings it stores in scache(8).
//
// The scanner works at the level of single NUL-terminated tokens rather than
// whole lists because the stock daemons do: a strict scan stops right after
// an unexpected attribute name, leaving its value unread, and the stock
// servers then rescan what is left. Replies to malformed requests are only
// byte-identical to stock if we resynchronise the same way.
//
// Nothing here trusts the peer: every token is length-capped, numbers are
// checked, and malformed input is an error, never a panic.
package attr
