// Sends log records with fluent-logger-golang (the library Docker's fluentd log driver is
// built on), as a Go service would: one Post per record, each a Message-mode chunk with
// RequestAck, waiting for its ack. Prints one JSON line: {"acknowledged": n, "errors": [...]}.
// The Python tests build and run it (tests/collector/test_idempotency.py).
//
//	fluent_sender <port> <sender name> <records>
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

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	name := os.Args[2]
	records, _ := strconv.Atoi(os.Args[3])
	logger, err := fluent.New(fluent.Config{
		FluentHost: "127.0.0.1",
		FluentPort: port,
		RequestAck: true,
		Timeout:    5 * time.Second,
		MaxRetry:   3,
	})
	errors := []string{}
	acknowledged := 0
	if err != nil {
		errors = append(errors, err.Error())
	} else {
		for n := 0; n < records; n++ {
			record := map[string]string{"message": fmt.Sprintf("%s record %d", name, n), "user_id": name}
			if err := logger.Post("go."+name, record); err != nil {
				errors = append(errors, err.Error())
			} else {
				acknowledged++
			}
		}
		logger.Close()
	}
	answer, _ := json.Marshal(map[string]interface{}{"acknowledged": acknowledged, "errors": errors})
	fmt.Println(string(answer))
}
