package deliver

import (
	"io"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// MaxToken caps one attribute name or value of a request. Postfix has no
// cap; the longest values are addresses, which cleanup bounds by
// header_size_limit (100 KiB by default) when it extracts them from
// headers, so 1 MiB leaves a wide margin while a corrupt stream still
// cannot make the agent buffer without limit.
const MaxToken = 1 << 20

// NewScanner returns a scanner for qmgr's connection to the service named
// service (the master.cf name, e.g. "smtp" or "relay"): warnings name the
// peer "<service> socket" as stock's single_server does, and tokens are
// capped at MaxToken. warn receives every warning Read logs; it may be nil.
func NewScanner(r io.Reader, service string, warn func(string)) *attr.Scanner {
	sc := attr.NewScanner(r, service+" socket", warn)
	sc.MaxToken = MaxToken
	return sc
}
