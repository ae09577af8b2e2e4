// Sends log records with fluent-logger-golang (the library Docker's fluentd log driver is
// built on), as a Go service would: one Post per record, each a Message-mode chunk with
// RequestAck, waiting for its ack, all over one connection. Prints one JSON line:
// {"acknowledged": n, "errors": [...], "seconds": s} (s: the time the Posts took).
// The Python tests build and run it (tests/collector/test_idempotency.py, test_go_acks.py).
//
//	fluent_sender <port> <sender name> <records> [<first record's time, Unix µs>]
//
// Each record, tagged app.<sender name> (so the sender's name is its service), has a message,
// a user_id (the sender's name) and a level; with a first time, record n is sent with that
// time plus n ms and n µs as its EventTime (SubSecondPrecision), else with its Post's time.
//
// Built with Go before 1.20, math/rand is seeded alike in every process, so several of these
// started in the same second send the same chunk ids for different records: the case that
// loglens must store, not take for a resend.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

var levels = []string{"debug", "info", "warn", "error"}

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	name := os.Args[2]
	records, _ := strconv.Atoi(os.Args[3])
	var first time.Time
	if len(os.Args) > 4 {
		micros, _ := strconv.ParseInt(os.Args[4], 10, 64)
		first = time.UnixMicro(micros)
	}
	logger, err := fluent.New(fluent.Config{
		FluentHost:         "127.0.0.1",
		FluentPort:         port,
		RequestAck:         true,
		SubSecondPrecision: true,
		Timeout:            5 * time.Second,
		MaxRetry:           3,
	})
	errors := []string{}
	acknowledged := 0
	started := time.Now()
	if err != nil {
		errors = append(errors, err.Error())
	} else {
		for n := 0; n < records; n++ {
			record := map[string]string{
				"message": fmt.Sprintf("%s record %d", name, n),
				"user_id": name,
				"level":   levels[n%len(levels)],
			}
			at := time.Now()
			if !first.IsZero() {
				at = first.Add(time.Duration(n)*time.Millisecond + time.Duration(n)*time.Microsecond)
			}
			if err := logger.PostWithTime("app."+name, at, record); err != nil {
				errors = append(errors, err.Error())
			} else {
				acknowledged++
			}
		}
		logger.Close()
	}
	seconds := time.Since(started).Seconds()
	answer, _ := json.Marshal(map[string]interface{}{"acknowledged": acknowledged, "errors": errors, "seconds": seconds})
	fmt.Println(string(answer))
}
