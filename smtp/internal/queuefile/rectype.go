package queuefile

// Record types, from src/global/rec_type.h. The values are the bytes
// stored in the file; the comments give the C names.
const (
	RecTypeSize      byte = 'C' // REC_TYPE_SIZE: first record, sizes and offsets
	RecTypeTime      byte = 'T' // REC_TYPE_TIME: arrival time
	RecTypeCTime     byte = 'c' // REC_TYPE_CTIME: create time
	RecTypeFull      byte = 'F' // REC_TYPE_FULL: sender full name
	RecTypeInsp      byte = 'I' // REC_TYPE_INSP: inspector transport (legacy)
	RecTypeFilt      byte = 'L' // REC_TYPE_FILT: content filter (envelope; same byte as RecTypeCont)
	RecTypeFrom      byte = 'S' // REC_TYPE_FROM: sender
	RecTypeDone      byte = 'D' // REC_TYPE_DONE: recipient already delivered
	RecTypeRcpt      byte = 'R' // REC_TYPE_RCPT: recipient still to do
	RecTypeOrcp      byte = 'O' // REC_TYPE_ORCP: original recipient
	RecTypeDrcp      byte = '/' // REC_TYPE_DRCP: canceled recipient
	RecTypeWarn      byte = 'W' // REC_TYPE_WARN: next delay warning time
	RecTypeAttr      byte = 'A' // REC_TYPE_ATTR: name=value attribute
	RecTypeKill      byte = 'K' // REC_TYPE_KILL: killed record
	RecTypeRdr       byte = '>' // REC_TYPE_RDR: redirect target
	RecTypeFlgs      byte = 'f' // REC_TYPE_FLGS: cleanup flags
	RecTypeDelay     byte = 'd' // REC_TYPE_DELAY: cleanup delay
	RecTypeMesg      byte = 'M' // REC_TYPE_MESG: start of content
	RecTypeCont      byte = 'L' // REC_TYPE_CONT: line fragment, the line continues (content)
	RecTypeNorm      byte = 'N' // REC_TYPE_NORM: complete line (content)
	RecTypeDtxt      byte = 'w' // REC_TYPE_DTXT: padding, skipped by readers
	RecTypeXtra      byte = 'X' // REC_TYPE_XTRA: end of content, start of extracted records
	RecTypeRrto      byte = 'r' // REC_TYPE_RRTO: return-receipt address
	RecTypeErto      byte = 'e' // REC_TYPE_ERTO: errors-to address
	RecTypePrio      byte = 'P' // REC_TYPE_PRIO: priority
	RecTypePtr       byte = 'p' // REC_TYPE_PTR: continue reading at the offset it holds
	RecTypeVerp      byte = 'V' // REC_TYPE_VERP: VERP delimiters
	RecTypeDSNRet    byte = '<' // REC_TYPE_DSN_RET: DSN RET
	RecTypeDSNEnvID  byte = 'i' // REC_TYPE_DSN_ENVID: DSN ENVID
	RecTypeDSNOrcpt  byte = 'o' // REC_TYPE_DSN_ORCPT: DSN ORCPT
	RecTypeDSNNotify byte = 'n' // REC_TYPE_DSN_NOTIFY: DSN NOTIFY
	RecTypeMiltCount byte = 'm' // REC_TYPE_MILT_COUNT: milter count
	RecTypeEnd       byte = 'E' // REC_TYPE_END: end of file
)

// Diagnostic record "types" as smtp(8) prints them in
// "bad record type: %d in message content": rec_get() returns these
// negative values instead of a type byte.
const (
	RecTypeEOF   = -1 // REC_TYPE_EOF: no record (end of file)
	RecTypeError = -2 // REC_TYPE_ERROR: malformed record
)

// TypeName returns rec_type_name() (src/global/rec_type.c) for a record
// type byte, e.g. "recipient" for 'R', or "unknown_record_type". 'L' is
// listed there first as content_filter, so that name wins; 'd' (delay)
// and 'm' (milter count) are not listed at all. A switch rather than a
// map keeps the table immutable.
func TypeName(t byte) string {
	switch t {
	case RecTypeSize:
		return "message_size"
	case RecTypeTime:
		return "message_arrival_time"
	case RecTypeCTime:
		return "queue_file_create_time"
	case RecTypeFull:
		return "sender_fullname"
	case RecTypeInsp:
		return "content_inspector"
	case RecTypeFilt:
		return "content_filter"
	case RecTypeFrom:
		return "sender"
	case RecTypeDone:
		return "done_recipient"
	case RecTypeDrcp:
		return "canceled_recipient"
	case RecTypeRcpt:
		return "recipient"
	case RecTypeOrcp:
		return "original_recipient"
	case RecTypeWarn:
		return "warning_message_time"
	case RecTypeAttr:
		return "named_attribute"
	case RecTypePtr:
		return "pointer_record"
	case RecTypeKill:
		return "killed_record"
	case RecTypeMesg:
		return "message_content"
	case RecTypeNorm:
		return "regular_text"
	case RecTypeDtxt:
		return "padding"
	case RecTypeXtra:
		return "extracted_info"
	case RecTypeRrto:
		return "return_receipt"
	case RecTypeErto:
		return "errors_to"
	case RecTypePrio:
		return "priority"
	case RecTypeVerp:
		return "verp_delimiters"
	case RecTypeEnd:
		return "message_end"
	case RecTypeRdr:
		return "redirect_to"
	case RecTypeFlgs:
		return "flags"
	case RecTypeDSNRet:
		return "dsn_return_flags"
	case RecTypeDSNEnvID:
		return "dsn_envelope_id"
	case RecTypeDSNOrcpt:
		return "dsn_original_recipient"
	case RecTypeDSNNotify:
		return "dsn_notify_flags"
	}
	return "unknown_record_type"
}
