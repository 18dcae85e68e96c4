package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
)

// QueueEntry is one message as reported by "postqueue -j".
type QueueEntry struct {
	QueueName  string `json:"queue_name"` // incoming, active, deferred, hold, maildrop
	QueueID    string `json:"queue_id"`
	Sender     string `json:"sender"`
	Recipients []struct {
		Address     string `json:"address"`
		DelayReason string `json:"delay_reason"`
	} `json:"recipients"`
}

// Queue lists the queue through showq ("postqueue -j"), which needs a
// running instance; QueueCounts reads the spool directly instead.
func (in *Instance) Queue() ([]QueueEntry, error) {
	out, err := in.run("postqueue", "-c", in.ConfigDir, "-j")
	if err != nil {
		return nil, err
	}
	var q []QueueEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() { // one JSON object per line
		var e QueueEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("parse postqueue -j line %q: %w", sc.Text(), err)
		}
		q = append(q, e)
	}
	return q, sc.Err()
}
