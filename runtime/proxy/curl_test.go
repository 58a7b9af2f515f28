package proxy

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// curlPath is the real curl the tests drive; it is installed on the
// machines that run them (scripts/deps.sh), and its absence is a failure.
const curlPath = "/usr/bin/curl"

// curl runs curl with a clean environment (no proxy variables, no
// config file) and returns its output, error output and exit code.
func curl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	args = append([]string{"-q", "-sS", "--max-time", "10"}, args...)
	cmd := exec.Command(curlPath, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("curl: %v", err)
	}
	return out.String(), errOut.String(), 0
}

// TestCurl drives the proxy with real curl: HTTP proxy (absolute-form and
// CONNECT) and SOCKS5 with names resolved at the proxy (socks5h).
func TestCurl(t *testing.T) {
	o := newOrigin(t, "127.0.0.2", false)
	so := newOrigin(t, "127.0.0.2", true)
	e := newEnv(t, envConfig{rules: []string{"allowed.test=allow", "denied.test=deny", "*.test=allow"}})
	httpProxy, socksProxy := "http://"+e.http, "socks5h://"+e.socks
	plain, tls := "allowed.test:"+o.portStr(), "allowed.test:"+so.portStr()

	ok := []struct {
		name string
		args []string
		want string
	}{
		{"http proxy", []string{"-x", httpProxy, "http://" + plain + "/x?y=1"}, "origin GET " + plain + " /x?y=1"},
		{"http proxy post", []string{"-x", httpProxy, "-d", "a=b", "http://" + plain + "/p"}, `origin POST ` + plain + ` /p body="a=b"`},
		{"http proxy chunked", []string{"-x", httpProxy, "-H", "Transfer-Encoding: chunked", "-d", "chunky", "http://" + plain + "/c"}, `body="chunky"`},
		{"connect", []string{"-x", httpProxy, "-k", "https://" + tls + "/t"}, "origin GET " + tls + " /t"},
		{"socks5h", []string{"-x", socksProxy, "http://" + plain + "/s"}, "origin GET " + plain + " /s"},
		{"socks5h tls", []string{"-x", socksProxy, "-k", "https://" + tls + "/st"}, "/st"},
		{"keep-alive", []string{"-x", httpProxy, "http://" + plain + "/1", "http://" + plain + "/2"}, "/2"},
	}
	for _, c := range ok {
		out, errOut, code := curl(t, c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, out %q, err %q; want %q", c.name, code, out, errOut, c.want)
		}
	}

	e.dialer.reset()
	out, _, code := curl(t, "-x", httpProxy, "-i", "http://denied.test:"+o.portStr()+"/")
	if code != 0 || !strings.Contains(out, "403 Forbidden") || !strings.Contains(out, DecisionHeader+": denied") ||
		!strings.Contains(out, `denied by "denied.test" at test.toml:2 (p)`) {
		t.Errorf("http proxy, denied: exit %d %q", code, out)
	}
	out, errOut, code := curl(t, "-x", httpProxy, "-k", "https://denied.test:"+so.portStr()+"/")
	if code == 0 || !strings.Contains(errOut, "403") {
		t.Errorf("connect, denied: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code = curl(t, "-x", socksProxy, "http://denied.test:"+o.portStr()+"/")
	if code != 97 || !strings.Contains(errOut, "(2)") {
		t.Errorf("socks5h, denied: exit %d %q %q, want exit 97 and reply 2", code, out, errOut)
	}
	out, _, code = curl(t, "-x", httpProxy, "http://evil.test:"+o.portStr()+"/")
	if code != 0 || !strings.Contains(out, "local/private guard") {
		t.Errorf("http proxy, private: exit %d %q", code, out)
	}
	if d := e.dialer.list(); len(d) != 0 {
		t.Errorf("refused requests dialed %v", d)
	}
}
