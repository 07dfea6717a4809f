package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
)

// exactRecorder is a validating webhook that keeps the last AdmissionRequest the API server sent
// about each object (namespace/name), as JSON: the exact request the native policy judged.
type exactRecorder struct {
	server   *httptest.Server
	caBundle []byte
	mu       sync.Mutex
	requests map[string]map[string]any
	warnings []string
}

func (r *exactRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var review struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Request    map[string]any `json:"request"`
	}
	if err := json.NewDecoder(req.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	key := str(review.Request, "namespace") + "/" + str(review.Request, "name")
	r.mu.Lock()
	r.requests[key] = review.Request
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": review.APIVersion, "kind": review.Kind,
		"response": map[string]any{"uid": review.Request["uid"], "allowed": true},
	})
}

// HandleWarningHeader collects the warnings of the requests sent through a client using it.
func (r *exactRecorder) HandleWarningHeader(_ int, _ string, text string) {
	r.mu.Lock()
	r.warnings = append(r.warnings, text)
	r.mu.Unlock()
}

// take returns (and forgets) the request recorded about an object and the warnings seen.
func (r *exactRecorder) take(namespace, name string) (map[string]any, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	request, warnings := r.requests[namespace+"/"+name], r.warnings
	r.requests, r.warnings = map[string]map[string]any{}, nil
	return request, warnings
}

// startExactRecorder registers the recorder for every resource the native rules judge, and a
// client whose warnings it collects.
func startExactRecorder(t *testing.T, ctx context.Context, c *client) (*exactRecorder, *client) {
	t.Helper()
	caBundle, serving, err := webhookCertificates()
	if err != nil {
		t.Fatal(err)
	}
	r := &exactRecorder{caBundle: caBundle, requests: map[string]map[string]any{}}
	r.server = httptest.NewUnstartedServer(r)
	r.server.TLS = &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS12}
	r.server.StartTLS()
	configuration := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
		"metadata": map[string]any{"name": "e2e-exact-requests"},
		"webhooks": []any{map[string]any{
			"name":         "exact.e2e.antrea-admission.dev",
			"clientConfig": map[string]any{"url": r.server.URL + "/", "caBundle": caBundle},
			"rules": []any{map[string]any{
				"apiGroups": []any{"", "apps", "batch"}, "apiVersions": []any{"v1"}, "operations": []any{"CREATE", "UPDATE"},
				"resources": []any{"pods", "pods/status", "pods/ephemeralcontainers", "nodes", "nodes/status", "persistentvolumes",
					"replicationcontrollers", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"},
			}},
			"sideEffects": "None", "admissionReviewVersions": []any{"v1"}, "failurePolicy": "Fail", "timeoutSeconds": int64(10),
		}},
	}}
	if err := c.apply(ctx, configuration); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		resource, _ := c.resource(configuration)
		_ = resource.Delete(context.Background(), "e2e-exact-requests", metav1.DeleteOptions{})
		r.server.Close()
	})
	config := rest.CopyConfig(c.config)
	config.WarningHandler = r
	warned, err := newClient(config)
	if err != nil {
		t.Fatal(err)
	}
	return r, warned
}

// warnOnly rebinds a rule with validationActions [Warn] (its verdicts become warnings, so the
// request goes on to the recorder) until the test ends, then enforces it again.
func warnOnly(t *testing.T, ctx context.Context, c *client, rule string) {
	t.Helper()
	objects, err := documents(repo("native", rule, "binding-deny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, binding := range objects {
		if binding.GetKind() != "ValidatingAdmissionPolicyBinding" {
			continue
		}
		_ = unstructured.SetNestedSlice(binding.Object, []any{"Warn"}, "spec", "validationActions")
		if err := c.apply(ctx, binding); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := c.applyFiles(context.Background(), repo("native", rule, "binding-deny.yaml")); err != nil {
			t.Error(err)
		}
		if err := waitEnforced(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

// policyWarnings are the native policy's messages among the warnings, one per failed
// validation, in the policy's order; none when it allowed.
func policyWarnings(rule string, warnings []string) []string {
	prefix := "Validation failed for ValidatingAdmissionPolicy '" + rule + "' with binding '" + rule + "': "
	var messages []string
	for _, w := range warnings {
		if strings.HasPrefix(w, prefix) {
			messages = append(messages, strings.TrimPrefix(w, prefix))
		}
	}
	return messages
}

// waitWarned waits until a probe the rule refuses comes back with a warning, not a refusal.
func waitWarned(t *testing.T, r *exactRecorder, rule string, probe func() error) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := probe()
		_, warnings := r.take("", "")
		if err == nil && len(policyWarnings(rule, warnings)) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not warn after 30 s: %v %v", rule, err, warnings)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
