package peers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// kamailioCfg is a registrar and stateful proxy with no database, for
// kamailio 5.6:
//   - users and passwords in an htable filled at start-up
//     (event_route[htable:mod-init]);
//   - registrations kept in memory (usrloc db_mode 0);
//   - REGISTER must pass digest auth (www_challenge / pv_www_authenticate,
//     RFC 3261 22.2), the authentication user must be the To user;
//   - requests whose From is a local user (From host is this Kamailio) must
//     pass proxy auth (proxy_challenge / pv_proxy_authenticate, RFC 3261
//     22.3), the authentication user must be the From user; requests from
//     other domains are relayed without auth (like a trunk);
//   - INVITE/SUBSCRIBE/REFER are record-routed, in-dialog requests follow
//     loose_route, CANCEL is matched to its INVITE transaction (t_relay);
//   - requests for a local user go to the registered contacts (lookup), 404
//     when none; requests for another domain are relayed to it.
//
// The template is filled with kamailioConfig.
var kamailioCfg = template.Must(template.New("kamailio.cfg").Parse(`#!KAMAILIO
# Written by internal/peers for one test.
debug={{.Debug}}
log_stderror=yes
log_prefix="{{"{"}}$rm $ci} "
children=2
disable_tcp=yes
disable_sctp=yes
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
listen=udp:{{.IP}}:{{.Port}}
alias="{{.IP}}"
server_header="Server: kamailio (phonesim test peer)"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "htable.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
# No GRUU: linphone would get one without a port and use it as its
# Contact, which on loopback routes to :5060.
modparam("registrar", "gruu_enabled", 0)
modparam("htable", "htable", "users=>size=6;")

{{- if .Users}}

event_route[htable:mod-init] {
{{- range .Users}}
	$sht(users=>{{.Name}}) = "{{.Password}}";
{{- end}}
}
{{- end}}

request_route {
	xlog("L_NOTICE", "request $rm $ru from $si:$sp\n");
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("OPTIONS") && uri==myself && $rU==$null) {
		sl_send_reply("200", "OK");
		exit;
	}
	# RFC 3261 16.10: a CANCEL is relayed to where its INVITE went.
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}
	# Retransmissions are absorbed by the transaction.
	if (!is_method("ACK")) {
		t_check_trans();
	}
	# In-dialog requests follow the Route set (RFC 3261 16.12).
	if (has_totag()) {
		if (loose_route()) {
			route(RELAY);
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				route(RELAY);
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	remove_hf("Route");

	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("{{.Realm}}", "$sht(users=>$au)", "0")) {
			www_challenge("{{.Realm}}", "0");
			exit;
		}
		if ($au != $tU) {
			sl_send_reply("403", "Forbidden auth ID");
			exit;
		}
		consume_credentials();
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}

	if (from_uri==myself) {
		if (!pv_proxy_authenticate("{{.Realm}}", "$sht(users=>$au)", "0")) {
			proxy_challenge("{{.Realm}}", "0");
			exit;
		}
		if ($au != $fU) {
			sl_send_reply("403", "Forbidden auth ID");
			exit;
		}
		consume_credentials();
	}

	if (is_method("INVITE|SUBSCRIBE|REFER")) {
		record_route();
	}
	if (uri==myself) {
		if ($rU==$null) {
			sl_send_reply("484", "Address Incomplete");
			exit;
		}
		if (!lookup("location")) {
			sl_send_reply("404", "Not Found");
			exit;
		}
	}
	route(RELAY);
}

route[RELAY] {
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}
`))

type kamailioUser struct{ Name, Password string }

type kamailioConfig struct {
	IP    string
	Port  int
	Realm string
	Debug int
	Users []kamailioUser
}

// SIP user names are kept to characters that need no escaping in a SIP URI
// (RFC 3261 25.1 "unreserved") nor in a kamailio.cfg string.
var kamailioUserName = regexp.MustCompile(`^[A-Za-z0-9._~+-]+$`)

// render checks the values that go into the config text and fills the
// template.
func (c kamailioConfig) render(users map[string]string) (string, error) {
	names := make([]string, 0, len(users))
	for name := range users {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		pw := users[name]
		if !kamailioUserName.MatchString(name) {
			return "", fmt.Errorf("user name %q: use letters, digits and . _ ~ + -", name)
		}
		if pw == "" || strings.ContainsAny(pw, "\"\\$\r\n\t") {
			return "", fmt.Errorf("password of %q: must be non-empty without quotes, backslashes, $ or control characters", name)
		}
		c.Users = append(c.Users, kamailioUser{name, pw})
	}
	if !kamailioUserName.MatchString(c.Realm) {
		return "", fmt.Errorf("realm %q: use letters, digits and . _ ~ + -", c.Realm)
	}
	var b strings.Builder
	if err := kamailioCfg.Execute(&b, c); err != nil {
		return "", err
	}
	return b.String(), nil
}
