package config

import "time"

// Generic holds the parameters that every Postfix daemon loads first,
// in mail_params_init() (src/global/mail_params.c), with their types.
// Durations are whole seconds.
type Generic struct {
	CompatibilityLevel string
	CompatLevel        CompatLevel
	// LegacyDefaults lists parameters that are left at a default which
	// changed with compatibility_level and whose backwards-compatible
	// value is in effect; Postfix logs a note when it uses one.
	LegacyDefaults []string

	MailVersion              string
	SyslogFacility           string
	InetProtocols            string
	MultiInstanceDirectories string
	MultiInstanceGroup       string
	MultiInstanceName        string
	MaillogFile              string
	MaillogFilePrefixes      string
	MaillogFileCompressor    string
	MaillogFileRotateSuffix  string
	PostlogServiceName       string
	DNSSECProbe              string
	KnownTCPPorts            string

	DaemonTableOpenErrorIsFatal bool
	DNSNcacheTTLFixEnable       bool

	SMTPUTF8Enable              bool
	EnableIDNA2003Compatibility bool
	RespectfulLogging           bool

	Myhostname string
	Mydomain   string

	MailName                      string
	SyslogName                    string
	MailOwner                     string
	SetgidGroup                   string
	Mydestination                 string
	Myorigin                      string // after reading myorigin = /file (Debian)
	Relayhost                     string
	DaemonDirectory               string
	DataDirectory                 string
	CommandDirectory              string
	MetaDirectory                 string
	QueueDirectory                string
	ShlibDirectory                string
	ProcessIDDirectory            string
	InetInterfaces                string
	ProxyInterfaces               string
	DoubleBounceSender            string
	DefaultPrivs                  string
	AliasDatabase                 string
	MailReleaseDate               string
	DefaultDatabaseType           string
	HashQueueNames                string
	RecipientDelimiter            string
	RelayDomains                  string
	FastFlushDomains              string
	ExportEnvironment             string
	ImportEnvironment             string
	MynetworksStyle               string
	DebugPeerList                 string
	DefaultVERPDelimiters         string
	VERPDelimiterFilter           string
	ParentDomainMatchesSubdomains string
	AlternateConfigDirectories    string
	BounceServiceName             string
	CleanupServiceName            string
	DeferServiceName              string
	PickupServiceName             string
	QueueServiceName              string
	RewriteServiceName            string
	ShowqServiceName              string
	ErrorServiceName              string
	FlushServiceName              string
	AddressVerifyServiceName      string
	TraceServiceName              string
	ProxymapServiceName           string
	ProxywriteServiceName         string
	InternalMailFilterClasses     string
	MultiInstanceWrapper          string
	DefaultDeliveryStatusFilter   string
	SMTPUTF8AutodetectClasses     string
	MessageDropHeaders            string
	InfoLogAddressFormat          string

	DefaultProcessLimit          int
	MaxUse                       int
	DontRemove                   int
	LineLengthLimit              int
	HashQueueDepth               int
	ForkAttempts                 int
	DeliverLockAttempts          int
	DebugPeerLevel               int
	FaultInjectionCode           int
	BerkeleyDBCreateBufferSize   int
	BerkeleyDBReadBufferSize     int
	HeaderSizeLimit              int
	HeaderAddressTokenLimit      int
	MimeNestingLimit             int
	MimeBoundaryLengthLimit      int
	DelayLoggingResolutionLimit  int
	TCPWindowsize                int
	MessageSizeLimit             int64
	LMDBMapSize                  int64
	DisableDNSLookups            bool
	SoftBounce                   bool
	OwnerRequestSpecial          bool
	Strict8BitMIME               bool
	Strict7BitHeaders            bool
	Strict8BitMIMEBody           bool
	StrictMIMEEncodingDomain     bool
	DisableMIMEInputProcessing   bool
	DisableMIMEOutputConversion  bool
	AddressVerifyNegativeCache   bool
	BackwardsBounceLogfileCompat bool
	HelpfulWarnings              bool
	SendCyrusSASLAuthzid         bool
	MultiInstanceEnable          bool
	EnableLongQueueIDs           bool
	StrictSMTPUTF8               bool
	EnableOriginalRecipient      bool

	ApplicationEventDrainTime time.Duration
	MaxIdle                   time.Duration
	IPCTimeout                time.Duration
	IPCIdle                   time.Duration
	IPCTTL                    time.Duration
	TriggerTimeout            time.Duration
	ForkDelay                 time.Duration
	DeliverLockDelay          time.Duration
	StaleLockTime             time.Duration
	DaemonTimeout             time.Duration
	InFlowDelay               time.Duration

	// Accounts resolved and checked like check_mail_owner() and friends.
	MailOwnerUID, MailOwnerGID       int
	DefaultPrivsUID, DefaultPrivsGID int
	SetgidGID                        int

	Mynetworks string
	ProcessID  int
}
