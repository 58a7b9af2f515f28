//go:build linux

package linux

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Bwrap is where permc runs bubblewrap from: an absolute path, never a
// PATH lookup, so a writable directory early in PATH cannot replace it.
var Bwrap = "/usr/bin/bwrap"

// Warm does, on its own goroutine, the one-time work of this process that
// Run would otherwise do on the way to starting bubblewrap: Go's check of
// pidfd support (which forks a child) and the thread that manages signal
// masks. The parent calls it early, so the work overlaps its mount
// resolution. It changes no signal's disposition: SIGWINCH, which it
// watches for a moment, is ignored by default.
func Warm() {
	go func() {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Release()
		}
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGWINCH)
		signal.Stop(c)
	}()
}

// Args returns bwrap's options for l: namespaces first, then the mount
// plan. The inner stage follows on bwrap's own command line (Command).
func (l *Launch) Args(interactive bool) []string {
	args := []string{
		"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
	}
	if l.NetNamespace {
		args = append(args, "--unshare-net")
	}
	args = append(args, "--cap-drop", "ALL")
	if len(l.Spec.Pins) > 0 {
		// Only to pin symlinks: the inner stage drops both before anything
		// of the user's runs, and checks that none is left.
		args = append(args, "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP")
	}
	args = append(args, "--disable-userns", "--die-with-parent")
	if !interactive {
		// Without a terminal a new session costs nothing; with one, seccomp
		// refuses TIOCSTI instead, so shells keep job control.
		args = append(args, "--new-session")
	}
	args = append(args, "--info-fd", strconv.Itoa(fdInfo))
	args = append(args, l.MountArgs...)
	return append(args, "--chdir", l.Spec.Dir)
}

// Command is bwrap's command line: the options come through --args, the
// inner stage (permc itself, by descriptor) is the command.
func Command() []string {
	return []string{"--args", strconv.Itoa(fdArgs), "--", "/proc/self/fd/" + strconv.Itoa(fdExe), InnerArg}
}

// Run starts the sandbox and waits for it. It returns the command's exit
// status, or ExitSetup, ExitCannotExec, ExitNotFound for failures of
// permc's own, with the reason.
func (l *Launch) Run() (int, error) {
	if err := CloseOnExecInherited(); err != nil {
		return ExitSetup, err
	}
	if err := CheckUTF8(&l.Spec); err != nil {
		return ExitSetup, err
	}
	if l.Direct {
		return l.runDirect()
	}
	if _, err := os.Stat(Bwrap); err != nil {
		return ExitSetup, fmt.Errorf("bubblewrap is required: %s: %v (Debian: apt-get install bubblewrap)", Bwrap, err)
	}
	exe, err := openSelf()
	if err != nil {
		return ExitSetup, err
	}
	defer exe.Close()
	p, err := newPipes()
	if err != nil {
		return ExitSetup, err
	}
	defer p.closeAll()
	cmd := exec.Command(Bwrap, Command()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = l.Stdin, l.Stdout, l.Stderr
	// bwrap runs outside the sandbox: variables that tell the dynamic
	// loader what to load (which could name a folder the sandbox writes)
	// are kept from it. The command gets its environment from the spec.
	cmd.Env = loaderSafeEnv(l.Spec.Env)
	cmd.ExtraFiles = append([]*os.File{p.argsR, p.specR, p.statusW, p.infoW, exe, p.ackR}, l.MountFiles...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT)
	// Stopping waits for the thread that manages signal masks; nothing
	// reads sigs once Run returns, so Run does not wait for it.
	defer func() { go signal.Stop(sigs) }()
	if err := cmd.Start(); err != nil {
		return ExitSetup, fmt.Errorf("starting bubblewrap: %v", err)
	}
	p.closeChildEnds()
	go writeAndClose(p.argsW, []byte(strings.Join(l.Args(isTerminal(l.Stdin)), "\x00")+"\x00"))
	if l.Prepare != nil {
		if err := l.Prepare(&l.Spec); err != nil {
			// The inner stage is still waiting for its Spec: kill the
			// sandbox before it gets one.
			cmd.Process.Kill()
			cmd.Wait()
			return ExitSetup, err
		}
	}
	status := bufio.NewReader(p.statusR)
	if l.Mounted != nil {
		// The inner stage says "M" first thing: bwrap has made every
		// mount by then. (Without it, bwrap failed; the outcome says so.)
		if rec, err := status.ReadString(0); err == nil && rec == "M\x00" {
			if err := l.Mounted(); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				return ExitSetup, err
			}
		}
	}
	pidc := make(chan int, 1)
	go func() { pidc <- readChildPid(p.infoR) }()
	spec, _ := json.Marshal(&l.Spec)
	go writeAndClose(p.specW, spec)
	var rest io.Reader = status
	if l.Broker != nil {
		init := <-pidc
		pidc <- init
		rec, err := status.ReadString(0)
		if rec == "M\x00" && l.Mounted == nil {
			rec, err = status.ReadString(0)
		}
		if n, ok := strings.CutPrefix(strings.TrimSuffix(rec, "\x00"), "L"); ok && err == nil {
			if err := l.startBroker(init, n, p.ackW); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				return ExitSetup, err
			}
		} else {
			// An error record, or none: the outcome reads it.
			rest = io.MultiReader(strings.NewReader(rec), status)
		}
	}
	statusc := make(chan Status, 1)
	go func() { statusc <- l.started(ReadStatus(rest)) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	werr := forward(cmd.Process, sigs, pidc, done)
	st := <-statusc
	return l.outcome(werr, st)
}

// started calls Started, if set, once the status pipe has said all it
// will: the inner stage has execed the command or failed.
func (l *Launch) started(st Status) Status {
	if l.Started != nil {
		l.Started()
	}
	return st
}

// runDirect is Run for the Landlock-only mode: permc starts itself as the
// inner stage, with the Spec and the status pipe on the same descriptors
// as under bwrap, and no namespace. The inner stage drops capabilities,
// sets no_new_privs, applies Landlock and seccomp and execs the command,
// which is then permc's child.
func (l *Launch) runDirect() (int, error) {
	if l.NetNamespace || len(l.MountArgs) > 0 || len(l.MountFiles) > 0 || !l.Spec.Direct || l.Broker != nil {
		return ExitSetup, errors.New("bug: the Landlock-only mode got namespaces, mounts or a broker " +
			"to set up")
	}
	p, err := newPipes()
	if err != nil {
		return ExitSetup, err
	}
	defer p.closeAll()
	// /proc/self/exe is resolved by the child at execve, while it is still
	// a copy of permc.
	cmd := exec.Command("/proc/self/exe", InnerArg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = l.Stdin, l.Stdout, l.Stderr
	cmd.Env = l.Spec.Env
	cmd.Dir = l.Spec.Dir
	// Descriptors 3 (bwrap's arguments) and 6, 7 (bwrap's info, permc's
	// executable) stay closed.
	cmd.ExtraFiles = []*os.File{nil, p.specR, p.statusW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: !isTerminal(l.Stdin)}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT)
	defer signal.Stop(sigs)
	// Without a pid namespace nothing ends the command's descendants when
	// it exits; as their subreaper permc inherits the orphans and kills
	// them then, as the end of bwrap's pid namespace would.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return ExitSetup, fmt.Errorf("becoming a subreaper: %v", err)
	}
	if l.Prepare != nil {
		if err := l.Prepare(&l.Spec); err != nil {
			return ExitSetup, err
		}
	}
	if err := cmd.Start(); err != nil {
		return ExitSetup, fmt.Errorf("starting the inner stage: %v", err)
	}
	p.closeChildEnds()
	spec, _ := json.Marshal(&l.Spec)
	go writeAndClose(p.specW, spec)
	statusc := make(chan Status, 1)
	go func() { statusc <- l.started(ReadStatus(p.statusR)) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	werr := forward(cmd.Process, sigs, nil, done)
	if err := killOrphans(); err != nil {
		return ExitSetup, err
	}
	st := <-statusc
	return l.outcome(werr, st)
}

// killOrphans kills and reaps every child permc has left: descendants of
// the command that outlived their parents and were reparented to permc,
// its subreaper. A pid stays permc's until permc reaps it, so none can be
// reused between listing and killing.
//
// Each round kills the children permc has now; their own children become
// permc's for the next round, so a chain of processes takes one round per
// level. There is no limit on rounds, only on time: if processes are
// still left after orphanDeadline, permc says so and fails rather than
// report the command's status as if the sandbox had ended.
func killOrphans() error {
	deadline := time.Now().Add(orphanDeadline)
	for {
		kids := children()
		if len(kids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d process(es) started by the command were still running after %v of killing them "+
				"(the Landlock-only mode has no pid namespace to end them); kill them: %v", len(kids), orphanDeadline, kids)
		}
		for _, k := range kids {
			unix.Kill(k, unix.SIGKILL)
		}
		for _, k := range kids {
			var ws unix.WaitStatus
			unix.Wait4(k, &ws, 0, nil)
		}
	}
}

// orphanDeadline bounds how long killOrphans keeps killing.
const orphanDeadline = 10 * time.Second

// children lists permc's child processes, from every thread's list.
func children() []int {
	tasks, _ := os.ReadDir("/proc/self/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func (l *Launch) outcome(werr error, st Status) (int, error) {
	if st.Code != 0 {
		return st.Code, errors.New(st.Msg)
	}
	if !st.Ready && l.Direct {
		return ExitSetup, fmt.Errorf("the inner stage failed before the sandbox was ready (%v)", werr)
	}
	if !st.Ready {
		return ExitSetup, fmt.Errorf("bubblewrap failed before the sandbox was ready (%v); "+
			"where user namespaces are not available, --no-bwrap runs profiles without carve-outs "+
			"in the weaker Landlock-only mode", werr)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return 0, nil
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return ExitSetup, werr
}

// startBroker takes the seccomp listener the inner stage reported as
// descriptor n, starts serving it, and lets the inner stage go on.
func (l *Launch) startBroker(init int, rec string, ack *os.File) error {
	var fd, diag int
	_, err := fmt.Sscanf(rec, "%d %d", &fd, &diag)
	inner := 0
	if init > 0 {
		inner = firstChild(init)
	}
	if err != nil || inner == 0 {
		return fmt.Errorf("sandbox setup: the inner stage's listener %q (pid %d) cannot be found", rec, inner)
	}
	listener, err := takeListener(inner, fd)
	if err != nil {
		return fmt.Errorf("sandbox setup: unix-socket broker: %v", err)
	}
	if l.Broker.OwnNetwork {
		if l.Broker.diag, err = takeDiag(inner, diag); err != nil {
			unix.Close(listener)
			return fmt.Errorf("sandbox setup: unix-socket broker: %v", err)
		}
	}
	go l.Broker.serve(listener)
	if _, err := ack.Write([]byte{1}); err != nil {
		return fmt.Errorf("sandbox setup: unix-socket broker: %v", err)
	}
	return nil
}

// forward relays signals to the sandboxed command until bwrap exits.
// bwrap's child-pid is the init of the new pid namespace, which the
// kernel does not let signals from outside reach (it has no handlers):
// the command is that init's child.
func forward(bw *os.Process, sigs chan os.Signal, pidc chan int, done chan error) error {
	init, command := 0, 0
	for {
		select {
		case pid := <-pidc:
			init = pid
		case s := <-sigs:
			if command == 0 && init > 0 {
				command = firstChild(init)
			}
			target := bw.Pid
			switch {
			case command > 0:
				target = command
			case init > 0:
				target = init
			}
			syscall.Kill(target, s.(syscall.Signal))
		case err := <-done:
			return err
		}
	}
}

// firstChild is the first child of process pid, or 0.
func firstChild(pid int) int {
	p := strconv.Itoa(pid)
	b, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

func readChildPid(r io.Reader) int {
	var info struct {
		ChildPid int `json:"child-pid"`
	}
	// One object, not to EOF: the sandboxed child holds the descriptor too.
	if err := json.NewDecoder(r).Decode(&info); err != nil {
		return 0
	}
	return info.ChildPid
}

func writeAndClose(w *os.File, data []byte) {
	w.Write(data)
	w.Close()
}

type pipes struct {
	argsR, argsW, specR, specW, statusR, statusW, infoR, infoW, ackR, ackW *os.File
}

func newPipes() (*pipes, error) {
	var p pipes
	for _, pair := range [][2]**os.File{{&p.argsR, &p.argsW}, {&p.specR, &p.specW},
		{&p.statusR, &p.statusW}, {&p.infoR, &p.infoW}, {&p.ackR, &p.ackW}} {
		r, w, err := os.Pipe()
		if err != nil {
			p.closeAll()
			return nil, err
		}
		*pair[0], *pair[1] = r, w
	}
	return &p, nil
}

// closeChildEnds closes the parent's copies of what the child holds, so
// the parent sees EOF when the child is done with them.
func (p *pipes) closeChildEnds() {
	for _, f := range []*os.File{p.argsR, p.specR, p.statusW, p.infoW, p.ackR} {
		f.Close()
	}
}

func (p *pipes) closeAll() {
	for _, f := range []*os.File{p.argsR, p.argsW, p.specR, p.specW, p.statusR, p.statusW, p.infoR, p.infoW,
		p.ackR, p.ackW} {
		if f != nil {
			f.Close()
		}
	}
}

// openSelf opens permc's own executable for bwrap to run inside.
func openSelf() (*os.File, error) {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("opening permc's executable: %v", err)
	}
	return f, nil
}

// CloseOnExecInherited marks every descriptor above 2 close-on-exec, so
// what permc's caller left open never reaches bwrap or the command.
func CloseOnExecInherited() error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
			unix.CloseOnExec(n)
		}
	}
	return nil
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// loaderUnsafe are the variables glibc ignores for setuid programs: each
// can make the loader or libc read files a variable names.
var loaderUnsafe = map[string]bool{
	"GCONV_PATH": true, "GETCONF_DIR": true, "GLIBC_TUNABLES": true, "HOSTALIASES": true,
	"LOCALDOMAIN": true, "LOCPATH": true, "MALLOC_TRACE": true, "NIS_PATH": true,
	"NLSPATH": true, "RESOLV_HOST_CONF": true, "RES_OPTIONS": true, "TZDIR": true,
}

// loaderSafeEnv drops LD_* and the variables of loaderUnsafe.
func loaderSafeEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LD_") || loaderUnsafe[k] {
			continue
		}
		out = append(out, kv)
	}
	return out
}
