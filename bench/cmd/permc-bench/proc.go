//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// proc is one whole-process variant: started, waited for, timed from fork
// to exit as a user's shell would see it.
type proc struct {
	name   string
	argv   []string
	dir    string
	env    []string
	files  func() ([]*os.File, error) // descriptors from 3 up; opened before the clock starts
	before func() error               // runs before each sample, not timed
	show   string                     // how the page prints the command; default argv
}

// run times one execution. A non-zero exit is an error carrying the
// process's output.
func (p *proc) run() (time.Duration, error) {
	if p.before != nil {
		if err := p.before(); err != nil {
			return 0, err
		}
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir, cmd.Env = p.dir, p.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if p.files != nil {
		fs, err := p.files()
		if err != nil {
			return 0, err
		}
		defer func() {
			for _, f := range fs {
				f.Close()
			}
		}()
		cmd.ExtraFiles = fs
	}
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %v: %s", p.command(), err, oneLine(out.String()))
	}
	return d, nil
}

// command is the shell form of the command, for the page.
func (p *proc) command() string {
	if p.show != "" {
		return p.show
	}
	s := shellJoin(p.argv)
	if p.dir != "" {
		s = "cd " + shellQuote(p.dir) + " && " + s
	}
	return s
}

// measure samples procs in interleaved rounds after warm unrecorded ones.
// A variant that fails once is dropped from later rounds and its error
// returned in errs; the others go on.
func measure(procs []*proc, warm, reps int) (samples map[string][]float64, errs map[string]error) {
	samples, errs = map[string][]float64{}, map[string]error{}
	for round := range warm + reps {
		for _, p := range procs {
			if errs[p.name] != nil {
				continue
			}
			d, err := p.run()
			if err != nil {
				errs[p.name] = err
				continue
			}
			if round >= warm {
				samples[p.name] = append(samples[p.name], d.Seconds())
			}
		}
	}
	return samples, errs
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// output runs a command untimed and returns its combined output.
func output(dir string, env []string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %v: %s", shellJoin(argv), err, oneLine(string(out)))
	}
	return string(out), nil
}
