package deliver

// Limits from Postfix's mail_queue_name_ok and mail_queue_id_ok.
const (
	maxQueueNameLen = 100
	maxQueueIDLen   = 255 // VALID_HOSTNAME_LEN: IDs double as flush log names
)

// queueNameOK is mail_queue_name_ok: 1-100 ASCII letters and digits.
func queueNameOK(s string) bool {
	if s == "" || len(s) > maxQueueNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// queueIDOK is mail_queue_id_ok: 1-255 ASCII letters, digits and '_'
// (fast-flush log names share the check).
func queueIDOK(s string) bool {
	if s == "" || len(s) > maxQueueIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
