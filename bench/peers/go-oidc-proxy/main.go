// Command go-oidc-proxy is the Go reference peer of kubeward's benchmark
// (`npm run bench`): an authenticating reverse proxy for kube-apiserver made
// from the same published Kubernetes building blocks kube-oidc-proxy uses, put
// together the way kube-oidc-proxy puts them together, so that everything that
// costs time per request is the same. kube-oidc-proxy itself cannot be
// fetched from the Go module proxy (see docs/performance.md).
//
// Per request, as kube-oidc-proxy does:
//   - authenticate: a union request authenticator over a bearer-token request
//     authenticator over k8s.io/apiserver's OIDC (JWT) token authenticator,
//     configured from kube-apiserver's --oidc-* flags; no token cache (as
//     kube-oidc-proxy; --token-cache-ttl adds kube-apiserver's);
//     a failure is 401;
//   - the user goes into the request context; the groups get
//     system:authenticated; the impersonation config goes into the context;
//   - k8s.io/apiserver's request-info filter (kube-oidc-proxy's audit wrapper
//     applies it even when auditing is off);
//   - httputil.ReverseProxy (NewSingleHostReverseProxy, FlushInterval 50 ms by
//     default) whose transport wraps the upstream round tripper, per request,
//     in client-go's ImpersonatingRoundTripper (Impersonate-User,
//     Impersonate-Group, Impersonate-Extra-*), and writes one access-log line
//     to stdout;
//   - the upstream round tripper: a plain http.Transport with the TLS config
//     rest.TLSConfigFor makes from the kubeconfig, wrapped by client-go's
//     HTTPWrappersForConfig (the kubeconfig's credentials), as
//     kube-oidc-proxy builds it; --client-go-transport uses
//     rest.TransportFor instead (client-go's tuned, cached transport);
//   - served by k8s.io/apiserver's SecureServingInfo from
//     --tls-cert-file/--tls-private-key-file.
//
// Not here (kube-oidc-proxy has them; none runs in the bench): auditing,
// token passthrough (TokenReview), SubjectAccessReview of a client's own
// Impersonate-* headers, --extra-user-headers and the client-IP extra
// header, disabling impersonation, in-cluster configuration, several issuers.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	unionauth "k8s.io/apiserver/pkg/authentication/request/union"
	tokencache "k8s.io/apiserver/pkg/authentication/token/cache"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	serveroptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"
)

type options struct {
	issuerURL, clientID, caFile                string
	usernameClaim, usernamePrefix              string
	groupsClaim, groupsPrefix                  string
	signingAlgs                                []string
	kubeconfig                                 string
	bindAddress                                string
	securePort                                 int
	certFile, keyFile                          string
	readinessProbePort                         int
	flushInterval, tokenCacheTTL, shutdownWait time.Duration
	accessLog, clientGoTransport               bool
}

func parseFlags() *options {
	o := &options{}
	fs := pflag.NewFlagSet("go-oidc-proxy", pflag.ContinueOnError)
	// The --oidc-* flags and their defaults are kube-apiserver's (and kube-oidc-proxy's).
	fs.StringVar(&o.issuerURL, "oidc-issuer-url", "", "the OpenID issuer's URL (https only)")
	fs.StringVar(&o.clientID, "oidc-client-id", "", "the client ID: the audience tokens must carry")
	fs.StringVar(&o.caFile, "oidc-ca-file", "", "CA bundle for the issuer's TLS certificate (default: the host's roots)")
	fs.StringVar(&o.usernameClaim, "oidc-username-claim", "sub", "the claim holding the user name")
	fs.StringVar(&o.usernamePrefix, "oidc-username-prefix", "", `prefix for user names; "" prefixes claims other than email with "<issuer>#", "-" means none`)
	fs.StringVar(&o.groupsClaim, "oidc-groups-claim", "", "the claim holding the groups (a string or a list of strings)")
	fs.StringVar(&o.groupsPrefix, "oidc-groups-prefix", "", "prefix for group names")
	fs.StringSliceVar(&o.signingAlgs, "oidc-signing-algs", []string{"RS256"}, "accepted JOSE signing algorithms")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig naming the upstream kube-apiserver and the proxy's own credentials")
	fs.StringVar(&o.bindAddress, "bind-address", "0.0.0.0", "the address to serve on")
	fs.IntVar(&o.securePort, "secure-port", 443, "the HTTPS port to serve on")
	fs.StringVar(&o.certFile, "tls-cert-file", "", "serving certificate (PEM)")
	fs.StringVar(&o.keyFile, "tls-private-key-file", "", "serving key (PEM)")
	fs.IntVarP(&o.readinessProbePort, "readiness-probe-port", "P", 8080, "plain-HTTP port of GET /ready (200 once the issuer's keys are loaded); 0 turns it off")
	fs.DurationVar(&o.flushInterval, "flush-interval", 50*time.Millisecond, "the reverse proxy's flush interval (kube-oidc-proxy's default); negative flushes after each write")
	fs.DurationVar(&o.tokenCacheTTL, "token-cache-ttl", 0, "cache successful token checks this long (0: none, as kube-oidc-proxy; kube-apiserver uses 10s)")
	fs.BoolVar(&o.accessLog, "access-log", true, "one line on stdout per request (kube-oidc-proxy writes one per request)")
	fs.BoolVar(&o.clientGoTransport, "client-go-transport", false, "reach the upstream through rest.TransportFor instead of kube-oidc-proxy's plain http.Transport")
	fs.DurationVar(&o.shutdownWait, "shutdown-timeout", 60*time.Second, "how long open requests may take after SIGTERM")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2) // pflag has printed the error and the usage
	}
	return o
}

func main() {
	o := parseFlags()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "go-oidc-proxy: %v\n", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	if o.issuerURL == "" || o.clientID == "" {
		return errors.New("--oidc-issuer-url and --oidc-client-id are required")
	}
	if o.kubeconfig == "" {
		return errors.New("--kubeconfig is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	requestAuth, tokenAuth, err := newAuthenticator(ctx, o)
	if err != nil {
		return err
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("reading --kubeconfig: %w", err)
	}
	upstream, err := upstreamRoundTripper(restConfig, o.clientGoTransport)
	if err != nil {
		return err
	}
	target, err := url.Parse(restConfig.Host)
	if err != nil {
		return fmt.Errorf("the kubeconfig's server: %w", err)
	}

	p := &proxy{auth: requestAuth, upstream: upstream, accessLog: o.accessLog}
	reverse := httputil.NewSingleHostReverseProxy(target)
	reverse.Transport = p
	reverse.FlushInterval = o.flushInterval
	reverse.ErrorHandler = p.upstreamError
	// kube-oidc-proxy's chain, outermost first: authenticate, impersonate,
	// request info (its audit wrapper), reverse proxy.
	var handler http.Handler = genericapifilters.WithRequestInfo(reverse, server.NewRequestInfoResolver(&server.Config{}))
	handler = p.withImpersonation(handler)
	handler = p.withAuthentication(handler)

	serving := &serveroptions.SecureServingOptions{
		BindAddress: netutils.ParseIPSloppy(o.bindAddress),
		BindPort:    o.securePort,
		ServerCert:  serveroptions.GeneratableKeyCert{CertKey: serveroptions.CertKey{CertFile: o.certFile, KeyFile: o.keyFile}},
	}
	if serving.BindAddress == nil {
		return fmt.Errorf("--bind-address %q is not an IP address", o.bindAddress)
	}
	if o.certFile == "" || o.keyFile == "" {
		return errors.New("--tls-cert-file and --tls-private-key-file are required")
	}
	var info *server.SecureServingInfo
	if err := serving.ApplyTo(&info); err != nil {
		return fmt.Errorf("secure serving: %w", err)
	}
	if info == nil {
		return errors.New("--secure-port must be > 0")
	}
	if o.readinessProbePort > 0 {
		go serveReadiness(o.readinessProbePort, tokenAuth)
	}
	stopped, listenerStopped, err := info.Serve(handler, o.shutdownWait, ctx.Done())
	if err != nil {
		return err
	}
	klog.Infof("go-oidc-proxy serving on %s, upstream %s", info.Listener.Addr(), restConfig.Host)
	<-listenerStopped
	<-stopped
	return nil
}

// newAuthenticator builds the OIDC token authenticator from the --oidc-*
// flags as kube-apiserver does, wrapped as kube-oidc-proxy wraps it.
func newAuthenticator(ctx context.Context, o *options) (authenticator.Request, oidc.AuthenticatorTokenWithHealthCheck, error) {
	prefix := o.usernamePrefix
	if prefix == "" && o.usernameClaim != "email" {
		prefix = o.issuerURL + "#"
	}
	if prefix == "-" {
		prefix = ""
	}
	jwt := apiserverapi.JWTAuthenticator{
		Issuer: apiserverapi.Issuer{URL: o.issuerURL, Audiences: []string{o.clientID}},
		ClaimMappings: apiserverapi.ClaimMappings{
			Username: apiserverapi.PrefixedClaimOrExpression{Claim: o.usernameClaim, Prefix: &prefix},
		},
	}
	if o.groupsClaim != "" {
		groupsPrefix := o.groupsPrefix
		jwt.ClaimMappings.Groups = apiserverapi.PrefixedClaimOrExpression{Claim: o.groupsClaim, Prefix: &groupsPrefix}
	}
	var ca oidc.CAContentProvider
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		jwt.Issuer.CertificateAuthority = string(pem)
		if ca, err = dynamiccertificates.NewStaticCAContent("oidc-authenticator", pem); err != nil {
			return nil, nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
	}
	tokenAuth, err := oidc.New(ctx, oidc.Options{JWTAuthenticator: jwt, CAContentProvider: ca, SupportedSigningAlgs: o.signingAlgs})
	if err != nil {
		return nil, nil, fmt.Errorf("OIDC authenticator: %w", err)
	}
	var tokens authenticator.Token = tokenAuth
	if o.tokenCacheTTL > 0 {
		tokens = tokencache.New(tokens, true, o.tokenCacheTTL, 0)
	}
	return unionauth.New(bearertoken.New(tokens)), tokenAuth, nil
}

// upstreamRoundTripper is kube-oidc-proxy's: a plain http.Transport with the
// kubeconfig's TLS settings under client-go's credential wrappers; or
// client-go's own transport.
func upstreamRoundTripper(c *rest.Config, clientGo bool) (http.RoundTripper, error) {
	if clientGo {
		return rest.TransportFor(c)
	}
	tlsConfig, err := rest.TLSConfigFor(c)
	if err != nil {
		return nil, err
	}
	tc, err := c.TransportConfig()
	if err != nil {
		return nil, err
	}
	return transport.HTTPWrappersForConfig(tc, &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConfig})
}

type contextKey int

const (
	remoteAddrKey contextKey = iota
	impersonationKey
)

// impersonation is what the impersonation step hands to RoundTrip.
type impersonation struct {
	config transport.ImpersonationConfig
	user   user.Info
}

var errNoName = errors.New("no user name in the token")

type proxy struct {
	auth      authenticator.Request
	upstream  http.RoundTripper
	accessLog bool
}

func (p *proxy) withAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		res, ok, err := p.auth.AuthenticateRequest(req)
		if err != nil || !ok {
			p.unauthorized(w, req)
			return
		}
		req = req.WithContext(context.WithValue(req.Context(), remoteAddrKey, req.RemoteAddr))
		req = req.WithContext(genericapirequest.WithUser(req.Context(), res.User))
		next.ServeHTTP(w, req)
	})
}

func (p *proxy) withImpersonation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, ok := genericapirequest.UserFrom(req.Context())
		if !ok || u.GetName() == "" {
			p.logLine("refused", req, nil, errNoName.Error())
			http.Error(w, "the token names no user", http.StatusForbidden)
			return
		}
		groups := u.GetGroups()
		hasAll := false
		for _, g := range groups {
			if g == user.AllAuthenticated {
				hasAll = true
				break
			}
		}
		if !hasAll {
			groups = append(groups[:len(groups):len(groups)], user.AllAuthenticated)
		}
		extra := u.GetExtra()
		if extra == nil {
			extra = map[string][]string{}
		}
		imp := &impersonation{config: transport.ImpersonationConfig{UserName: u.GetName(), Groups: groups, Extra: extra}, user: u}
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), impersonationKey, imp)))
	})
}

// RoundTrip forwards an authenticated request with the user's impersonation headers.
func (p *proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	imp, _ := req.Context().Value(impersonationKey).(*impersonation)
	if imp == nil {
		return nil, errors.New("no impersonation config in the request context")
	}
	rt := transport.NewImpersonatingRoundTripper(imp.config, p.upstream)
	if p.accessLog {
		p.logLine("forwarded", req, imp.user, "")
	}
	return rt.RoundTrip(req)
}

func (p *proxy) unauthorized(w http.ResponseWriter, req *http.Request) {
	p.logLine("unauthenticated", req, nil, "")
	http.Error(w, "Unauthorized", http.StatusUnauthorized)
}

func (p *proxy) upstreamError(w http.ResponseWriter, req *http.Request, err error) {
	klog.Errorf("upstream error for %s %s: %v", req.Method, req.URL.Path, err)
	w.WriteHeader(http.StatusBadGateway)
}

// logLine writes one unbuffered line to stdout, as kube-oidc-proxy's access log does.
func (p *proxy) logLine(event string, req *http.Request, u user.Info, detail string) {
	if !p.accessLog {
		return
	}
	host := req.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	name, groups := "", ""
	if u != nil {
		name, groups = u.GetName(), strings.Join(u.GetGroups(), ",")
	}
	if detail != "" {
		detail = " detail=" + strconv.Quote(detail)
	}
	fmt.Fprintf(os.Stdout, "%s %s remote=%s forwarded-for=%q uri=%s user=%q groups=%q%s\n",
		time.Now().Format(time.RFC3339Nano), event, host, req.Header.Get("X-Forwarded-For"), req.RequestURI, name, groups, detail)
}

// serveReadiness answers GET /ready with 200 once the issuer's keys are loaded.
func serveReadiness(port int, tokenAuth oidc.AuthenticatorTokenWithHealthCheck) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		if err := tokenAuth.HealthCheck(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	srv := &http.Server{Addr: net.JoinHostPort("", strconv.Itoa(port)), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		klog.Errorf("readiness probe on port %d: %v", port, err)
	}
}
