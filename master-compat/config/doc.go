// Package config reads Postfix 3.7.11 configuration the way the C
// daemons do: main.cf syntax, master.cf -o overrides, lazy recursive
// $name expansion, typed parameter getters with Postfix's error texts,
// the compiled-in defaults, and the generic start-up parameters.
//
// # Evaluation model
//
// Values are stored unexpanded and expanded when a parameter is loaded.
// Loading an absent parameter stores its default, so a later $name sees
// it; a name that nothing has loaded expands to the empty string. The
// order of getter calls therefore matters, exactly as in C. A daemon
// reproduces the skeleton start-up order (spec §1.15, §3.3, §3.9):
//
//	d := config.New(config.WithWarn(logWarning))
//	d.Set(config.ParamProcessName, "smtp")     // before main.cf, as in C
//	if err := d.ReadMainCF(config.ConfigDirFromEnv()); err != nil { ... }
//	for _, o := range dashO { if err := d.Override(o); err != nil { ... } }
//	d.Set(config.ParamServiceName, serviceName) // after -o: always wins
//	g, err := d.LoadGeneric()                   // mail_params_init()
//	// then the daemon's own tables, in the C order (smtp: time, int,
//	// str, bool, nbool), with d.Time, d.Int, d.Str, d.Bool, d.NBool.
//
// All errors that Postfix treats as fatal are returned with Postfix's
// message text; the caller logs them as fatal and exits. Expansion syntax
// errors are *ExpandError values whose Warnings hold the details Postfix
// logs before its fatal "dictionary mail_dict: macro processing error".
//
// Defaults come from defaults_gen.go, generated from "postconf -d" (see
// internal/gendefaults); run-time defaults such as myhostname, mydomain
// and mynetworks are computed per Dict from the machine (see System).
package config
