package config

import (
	"fmt"
	"strings"
)

// This file implements Postfix 3.7 $name expansion (mac_parse + mac_expand
// semantics). The structure is two levels, as in Postfix: scan() splits a
// string into literal text and macro expressions, and expr() evaluates one
// expression. Errors do not stop scanning immediately: like Postfix we
// record the first problem, skip all further evaluation, and let the
// caller turn it into the fatal "macro processing error".

// maxNesting is Postfix's limit on nested macro evaluations within one
// expansion (mac_expand's "level > 100" check).
const maxNesting = 100

// maxTotalNesting bounds recursion across the fresh expansion contexts
// that relational operands start. Postfix has no such bound and would
// overflow its stack on e.g. a = ${{$a} == {x}}; we report an error instead.
const maxTotalNesting = 2000

// macroSpace is the whitespace allowed inside ${...} expressions.
const macroSpace = " \t\r\n"

// relopChars are the characters an operator token is made of; the token
// is then matched exactly against the known operators.
const relopChars = "<>!=?+-*/~&|%"

// lookupFunc returns a parameter's raw value and whether it is defined.
type lookupFunc func(name string) (string, bool)

// relopFunc compares two expanded operands for an operator suffix such as
// "level"; it returns <0, 0 or >0, or an error that aborts the expansion.
type relopFunc func(left, right string) (int, error)

// expansion holds the state of one mac_expand()-style call.
type expansion struct {
	lookup    lookupFunc
	recursive bool                 // expand $name references in looked-up values
	relops    map[string]relopFunc // operator suffix -> comparison
	out       strings.Builder
	depth     int  // nesting within this context (Postfix's mc->level)
	total     *int // nesting across contexts, guards the Go stack
	failed    bool
	undefined bool      // some $name was not defined (MAC_PARSE_UNDEF)
	warnings  *[]string // shared with nested contexts
}

// expandResult is what an expansion produced: the text (partial when
// failed), Postfix's warnings in order, and the UNDEF indication.
type expandResult struct {
	text      string
	warnings  []string
	failed    bool
	undefined bool
}

// defaultRelops returns the operator-suffix table of a Postfix daemon:
// mail_params_init() always registers the "level" comparisons.
func defaultRelops() map[string]relopFunc {
	return map[string]relopFunc{"level": compareCompatLevels}
}

// expandString expands pattern. recursive selects mail_conf_eval()
// (true) or mail_conf_eval_once() (false) behaviour.
func expandString(pattern string, lookup lookupFunc, recursive bool, relops map[string]relopFunc) expandResult {
	var warnings []string
	total := 0
	e := &expansion{lookup: lookup, recursive: recursive, relops: relops, total: &total, warnings: &warnings}
	e.scan(pattern)
	return expandResult{text: e.out.String(), warnings: warnings, failed: e.failed, undefined: e.undefined}
}

// sub starts a fresh context for a relational operand, as Postfix does by
// calling mac_expand() again: its nesting counter starts at zero.
func (e *expansion) sub(pattern string) (string, bool) {
	s := &expansion{lookup: e.lookup, recursive: e.recursive, relops: e.relops, total: e.total, warnings: e.warnings}
	s.scan(pattern)
	if s.failed {
		e.failed = true
	}
	if s.undefined {
		e.undefined = true
	}
	return s.out.String(), !s.failed
}

func (e *expansion) warn(format string, args ...any) {
	*e.warnings = append(*e.warnings, fmt.Sprintf(format, args...))
	e.failed = true
}

// scan splits value into literal text and macro expressions, like
// mac_parse(): "$$" is a literal '$', "$name" takes the longest run of
// [A-Za-z0-9_], "${...}" and "$(...)" take everything up to the balancing
// bracket of the same kind.
func (e *expansion) scan(value string) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			e.item(lit.String(), false)
			lit.Reset()
		}
	}
	for i := 0; i < len(value); {
		c := value[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(value) && value[i+1] == '$' {
			lit.WriteByte('$')
			i += 2
			continue
		}
		flush()
		i++
		var name string
		if i < len(value) && (value[i] == '{' || value[i] == '(') {
			open := value[i]
			closer := byte('}')
			if open == '(' {
				closer = ')'
			}
			level := 1
			j := i + 1
			for ; level > 0; j++ {
				if j >= len(value) {
					e.warn("truncated macro reference: \"%s\"", value)
					return
				}
				switch value[j] {
				case open:
					level++
				case closer:
					level--
				}
			}
			name = value[i+1 : j-1]
			i = j
		} else {
			j := i
			for j < len(value) && isNameChar(value[j]) {
				j++
			}
			name = value[i:j]
			i = j
		}
		if name == "" {
			e.warn("empty macro name: \"%s\"", value)
			return
		}
		e.item(name, true)
	}
	// Postfix drops trailing literal text once anything failed.
	if lit.Len() > 0 && !e.failed {
		e.item(lit.String(), false)
	}
}

// item handles one piece found by scan: literal text or an expression.
func (e *expansion) item(text string, isExpr bool) {
	if e.depth > maxNesting || *e.total > maxTotalNesting {
		e.warn("unreasonable macro call nesting: \"%s\"", text)
	}
	if e.failed {
		return
	}
	e.depth++
	*e.total++
	defer func() { e.depth--; *e.total-- }()
	if !isExpr {
		e.out.WriteString(text)
		return
	}
	e.expr(text)
}

// findCurly reports whether s, after optional whitespace, starts with
// '{', and returns s from that brace.
func findCurly(s string) (string, bool) {
	n := spanAny(s, macroSpace)
	if n < len(s) && s[n] == '{' {
		return s[n:], true
	}
	return s, false
}

// curlyPayload takes s starting with '{' and returns the text inside the
// balancing '}' and the rest after it with leading whitespace removed.
func (e *expansion) curlyPayload(s string) (payload, rest string, ok bool) {
	level := 1
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '{':
			level++
		case '}':
			level--
			if level == 0 {
				rest = s[i+1:]
				return s[1:i], rest[spanAny(rest, macroSpace):], true
			}
		}
	}
	e.warn("unbalanced {} in attribute expression: \"%s\"", s)
	return "", "", false
}

// trunc20 mimics printf("%.20s").
func trunc20(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// expr evaluates the inside of $name, ${...} or $(...): a plain name, a
// name with ?/: conditionals, or a relational expression.
func (e *expansion) expr(text string) {
	var (
		value   string
		defined bool
		op      byte // '?', ':' or 0 for a plain reference
		rest    string
	)
	if cp, ok := findCurly(text); ok {
		v, after, ok := e.relational(cp)
		if !ok {
			return
		}
		value, defined, rest = v, true, after
		if rest != "" {
			if rest[0] != '?' && rest[0] != ':' {
				e.warn("\"?\" or \":\" expected at: \"...}>>>%s\"", trunc20(rest))
				return
			}
			op, rest = rest[0], rest[1:]
		}
	} else {
		start := spanAny(text, macroSpace)
		name := ""
		for p := start; ; p++ {
			ws := spanAny(text[p:], macroSpace)
			if p+ws == len(text) {
				name = text[start:p]
				break
			}
			if c := text[p+ws]; c == '?' || c == ':' {
				name, op, rest = text[start:p], c, text[p+ws+1:]
				break
			}
			if !isNameChar(text[p]) {
				e.warn("attribute name syntax error at: \"...%s>>>%s\"", text[:p], trunc20(text[p:]))
				return
			}
		}
		value, defined = e.lookup(name)
	}
	nonEmpty := defined && value != ""
	switch op {
	case '?':
		ifTrue := rest
		if cp, ok := findCurly(rest); ok {
			var ok2 bool
			if ifTrue, rest, ok2 = e.curlyPayload(cp); !ok2 {
				return
			}
		} else {
			rest = ""
		}
		if nonEmpty {
			e.scan(ifTrue)
		}
		if rest == "" {
			return
		}
		if rest[0] != ':' {
			e.warn("\":\" expected at: \"...%s}>>>%s\"", ifTrue, trunc20(rest))
			return
		}
		e.otherwise(rest[1:], nonEmpty)
	case ':':
		e.otherwise(rest, nonEmpty)
	default:
		switch {
		case !defined:
			e.undefined = true
		case value == "":
		case e.recursive:
			e.scan(value)
		default:
			e.out.WriteString(value)
		}
	}
}

// otherwise handles the text after ':' (the "if empty or undefined"
// branch), which must end the expression.
func (e *expansion) otherwise(rest string, nonEmpty bool) {
	ifFalse := rest
	if cp, ok := findCurly(rest); ok {
		var ok2 bool
		if ifFalse, rest, ok2 = e.curlyPayload(cp); !ok2 {
			return
		}
	} else {
		rest = ""
	}
	if !nonEmpty {
		e.scan(ifFalse)
	}
	if rest != "" {
		e.warn("unexpected input at: \"...%s}>>>%s\"", ifFalse, trunc20(rest))
	}
}

// relational evaluates "{left} OP {right}" at the start of s (s starts
// with '{'). It returns "true" or "" as the value that ?/: then test,
// and the text after the right operand.
func (e *expansion) relational(s string) (value, rest string, ok bool) {
	left, cp, ok := e.curlyPayload(s)
	if !ok {
		return "", "", false
	}
	opLen := spanAny(cp, relopChars)
	op := cp[:opLen]
	switch op {
	case "==", "!=", "<", "<=", ">=", ">":
	default:
		e.warn("\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\" expected at: \"...%s}>>>%s\"", left, trunc20(cp))
		return "", "", false
	}
	cp = cp[opLen:]
	var compare relopFunc
	if len(e.relops) > 0 && cp != "" && isAlnum(cp[0]) {
		n := 1
		for n < len(cp) && isAlnum(cp[n]) {
			n++
		}
		suffix := cp[:n]
		cp = cp[n:]
		if compare = e.relops[suffix]; compare == nil {
			e.warn("bad operator suffix at: \"...%s>>>%s\"", op, suffix)
			return "", "", false
		}
	}
	rcp, ok := findCurly(cp)
	if !ok {
		e.warn("\"{expression}\" expected at: \"...{%s} %s>>>%s\"", left, op, trunc20(cp))
		return "", "", false
	}
	right, after, ok := e.curlyPayload(rcp)
	if !ok {
		return "", "", false
	}
	lval, lok := e.sub(left)
	rval, rok := e.sub(right)
	if !lok || !rok {
		return "", "", false
	}
	if compare == nil {
		compare = e.compareBuiltin
	}
	delta, err := compare(lval, rval)
	if err != nil {
		e.warn("%s", err)
		return "", "", false
	}
	var result bool
	switch op {
	case "==":
		result = delta == 0
	case "!=":
		result = delta != 0
	case "<":
		result = delta < 0
	case "<=":
		result = delta <= 0
	case ">=":
		result = delta >= 0
	case ">":
		result = delta > 0
	}
	if result {
		return "true", after, true
	}
	return "", after, true
}

// compareBuiltin compares numerically when both operands are non-empty
// digit strings, else byte-wise (strcmp).
func (e *expansion) compareBuiltin(left, right string) (int, error) {
	if allDigits(left) && allDigits(right) {
		l, lok := parseCLong(left)
		r, rok := parseCLong(right)
		if !lok {
			return 0, fmt.Errorf("mac_exp_eval: bad conversion: %s", left)
		}
		if !rok {
			return 0, fmt.Errorf("mac_exp_eval: bad conversion: %s", right)
		}
		switch {
		case l < r:
			return -1, nil
		case l > r:
			return 1, nil
		}
		return 0, nil
	}
	return strings.Compare(left, right), nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
