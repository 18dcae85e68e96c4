package config

//go:generate go run ./internal/gendefaults -o defaults_gen.go

// BuiltinDefault returns the compiled-in default text (unexpanded) of a
// Postfix 3.7.11 parameter, as "postconf -d" prints it. ok is false for
// names Postfix does not know and for run-time parameters, whose default
// each process computes (see IsRuntimeDefault and Dict getters).
func BuiltinDefault(name string) (text string, ok bool) {
	return builtinDefault(name)
}

// IsRuntimeDefault reports whether name's default is computed by each
// process at run time (myhostname, mydomain, mynetworks, process_id,
// process_name, service_name, config_directory, mail_version) rather
// than compiled in.
func IsRuntimeDefault(name string) bool { return isRuntimeParam(name) }

// BuiltinNames returns the name of every parameter "postconf -d" prints,
// sorted. The slice is freshly allocated.
func BuiltinNames() []string { return builtinNames() }
