package run

import (
	"strings"

	"github.com/permc/permc/ir"
	"github.com/permc/permc/passes"
)

// proxyEnv points every common proxy variable at the relay and empties
// the exclusion lists: inside the network namespace localhost is the
// sandbox's own, so local targets are reachable only through the proxy.
func proxyEnv(env []string, n *ir.NetPolicy) []string {
	set := map[string]string{}
	httpURL := "http://" + mustAddr(n.ProxyURL)
	for _, k := range ir.ProxyEnv["http"] {
		set[k] = httpURL
	}
	socks := httpURL
	if n.EnableSOCKS5 {
		socks = "socks5h://" + mustAddr(n.SOCKSURL)
	}
	for _, k := range ir.ProxyEnv["socks"] {
		set[k] = socks
	}
	for _, k := range ir.ProxyEnv["none"] {
		set[k] = ""
	}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, replaced := set[k]; !replaced {
			out = append(out, kv)
		}
	}
	for _, group := range []string{"http", "socks", "none"} {
		for _, k := range ir.ProxyEnv[group] {
			out = append(out, k+"="+set[k])
		}
	}
	return out
}

func mustAddr(url string) string {
	ap, err := passes.ListenAddr(url)
	if err != nil {
		return "127.0.0.1:0"
	}
	return ap.String()
}
