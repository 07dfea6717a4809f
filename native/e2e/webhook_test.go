package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// routingKubewardenNamespace is where Kubewarden runs (its Helm chart's namespace, as deploy/ assumes):
// kubewarden-controller keeps policies out of it unless they allow it.
const routingKubewardenNamespace = "kubewarden"

// webhookReview is one AdmissionReview the recording webhook received.
type webhookReview struct {
	policy, operation, resource, subResource, user, namespace, name string
	dryRun                                                          bool
}

func (r webhookReview) String() string {
	resource := r.resource
	if r.subResource != "" {
		resource += "/" + r.subResource
	}
	return fmt.Sprintf("%s ← %s %s %s/%s by %s", r.policy, r.operation, resource, r.namespace, r.name, r.user)
}

// webhookRecorder is an HTTPS webhook on loopback that records every AdmissionReview and allows it
// (with no patch when it is called as a mutating webhook). The path names the policy.
type webhookRecorder struct {
	server   *httptest.Server
	caBundle []byte
	mu       sync.Mutex
	reviews  []webhookReview
	errors   []string
}

func startWebhookRecorder(t *testing.T) *webhookRecorder {
	t.Helper()
	caBundle, serving, err := webhookCertificates()
	if err != nil {
		t.Fatalf("generating the webhook's certificates: %v", err)
	}
	r := &webhookRecorder{caBundle: caBundle}
	r.server = httptest.NewUnstartedServer(r)
	r.server.TLS = &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS12}
	r.server.StartTLS()
	t.Cleanup(r.server.Close)
	return r
}

// webhookCertificates generates a CA and a serving certificate for 127.0.0.1 signed by it.
func webhookCertificates() (caPEM []byte, serving tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, serving, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e-routing webhook CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, serving, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, serving, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, serving, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, serving, err
	}
	serving = tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), serving, nil
}

func (r *webhookRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	policy := strings.TrimPrefix(req.URL.Path, "/")
	var in admissionv1.AdmissionReview
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil || in.Request == nil {
		r.mu.Lock()
		r.errors = append(r.errors, fmt.Sprintf("%s: not an AdmissionReview (%v)", policy, err))
		r.mu.Unlock()
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	request := in.Request
	r.mu.Lock()
	r.reviews = append(r.reviews, webhookReview{
		policy: policy, operation: string(request.Operation), resource: request.Resource.Resource,
		subResource: request.SubResource, user: request.UserInfo.Username,
		namespace: request.Namespace, name: request.Name, dryRun: request.DryRun != nil && *request.DryRun,
	})
	r.mu.Unlock()
	out := admissionv1.AdmissionReview{
		TypeMeta: in.TypeMeta,
		Response: &admissionv1.AdmissionResponse{UID: request.UID, Allowed: true},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// during sends a request and returns the reviews it caused about the object namespace/name.
func (r *webhookRecorder) during(namespace, name string, send func() error) ([]webhookReview, error) {
	r.mu.Lock()
	start := len(r.reviews)
	r.mu.Unlock()
	err := send()
	r.mu.Lock()
	defer r.mu.Unlock()
	var reviews []webhookReview
	for _, rv := range r.reviews[start:] {
		if rv.namespace == namespace && rv.name == name {
			reviews = append(reviews, rv)
		}
	}
	return reviews, err
}

// deployPolicy is a ClusterAdmissionPolicy of deploy/.
type deployPolicy struct {
	name string
	spec deployPolicySpec
}

// deployPolicySpec is ClusterAdmissionPolicy.spec (policies.kubewarden.io/v1), decoded
// strictly: a misspelt routing field fails the test instead of being dropped.
type deployPolicySpec struct {
	Module                                  string                                       `json:"module"`
	Mode                                    string                                       `json:"mode,omitempty"`
	Mutating                                bool                                         `json:"mutating"`
	BackgroundAudit                         *bool                                        `json:"backgroundAudit,omitempty"`
	PolicyServer                            string                                       `json:"policyServer,omitempty"`
	ContextAwareResources                   []json.RawMessage                            `json:"contextAwareResources,omitempty"`
	Message                                 string                                       `json:"message,omitempty"`
	Settings                                json.RawMessage                              `json:"settings,omitempty"`
	TimeoutEvalSeconds                      *int32                                       `json:"timeoutEvalSeconds,omitempty"`
	AllowInsideAdmissionControllerNamespace bool                                         `json:"allowInsideAdmissionControllerNamespace,omitempty"`
	FailurePolicy                           *admissionregistrationv1.FailurePolicyType   `json:"failurePolicy,omitempty"`
	MatchPolicy                             *admissionregistrationv1.MatchPolicyType     `json:"matchPolicy,omitempty"`
	SideEffects                             *admissionregistrationv1.SideEffectClass     `json:"sideEffects,omitempty"`
	TimeoutSeconds                          *int32                                       `json:"timeoutSeconds,omitempty"`
	Rules                                   []admissionregistrationv1.RuleWithOperations `json:"rules"`
	MatchConditions                         []admissionregistrationv1.MatchCondition     `json:"matchConditions,omitempty"`
	NamespaceSelector                       *metav1.LabelSelector                        `json:"namespaceSelector,omitempty"`
	ObjectSelector                          *metav1.LabelSelector                        `json:"objectSelector,omitempty"`
}

// deployPolicies reads every ClusterAdmissionPolicy of deploy/*.yaml.
func deployPolicies() ([]deployPolicy, error) {
	paths, err := filepath.Glob(repo("deploy", "*.yaml"))
	if err != nil {
		return nil, err
	}
	var policies []deployPolicy
	for _, path := range paths {
		objects, err := documents(path)
		if err != nil {
			return nil, err
		}
		for _, object := range objects {
			if object.GetKind() != "ClusterAdmissionPolicy" || object.GetAPIVersion() != "policies.kubewarden.io/v1" {
				return nil, fmt.Errorf("%s: %s %s is not a policies.kubewarden.io/v1 ClusterAdmissionPolicy", path, object.GetAPIVersion(), object.GetKind())
			}
			data, err := json.Marshal(object.Object["spec"])
			if err != nil {
				return nil, err
			}
			decoder := json.NewDecoder(bytes.NewReader(data))
			decoder.DisallowUnknownFields()
			policy := deployPolicy{name: object.GetName()}
			if err := decoder.Decode(&policy.spec); err != nil {
				return nil, fmt.Errorf("%s: ClusterAdmissionPolicy %s: spec: %w", path, policy.name, err)
			}
			policies = append(policies, policy)
		}
	}
	return policies, nil
}

// configurationName is the name of the rendered configuration: kubewarden-controller's
// (clusterwide-<policy>) with a prefix no other test uses.
func (p deployPolicy) configurationName() string { return "e2e-routing-clusterwide-" + p.name }

// namespaceSelector is the selector kubewarden-controller sets for a ClusterAdmissionPolicy:
// unless it is allowed inside the controller's namespace, a NotIn requirement for that namespace
// followed by the policy's matchExpressions (its matchLabels are dropped, as upstream does).
func (p deployPolicy) namespaceSelector() *metav1.LabelSelector {
	if p.spec.AllowInsideAdmissionControllerNamespace {
		return p.spec.NamespaceSelector
	}
	selector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{routingKubewardenNamespace},
	}}}
	if p.spec.NamespaceSelector != nil {
		selector.MatchExpressions = append(selector.MatchExpressions, p.spec.NamespaceSelector.MatchExpressions...)
	}
	return selector
}

// webhookFields are the fields kubewarden-controller sets on its one webhook, but the URL: here
// the recording webhook, at /<policy>, instead of policy-server's Service.
func (p deployPolicy) webhookFields(baseURL string, caBundle []byte) (string, admissionregistrationv1.WebhookClientConfig, *admissionregistrationv1.MatchPolicyType, *admissionregistrationv1.SideEffectClass, *int32) {
	url := baseURL + "/" + p.name
	matchPolicy := p.spec.MatchPolicy
	if matchPolicy == nil {
		matchPolicy = ptr(admissionregistrationv1.Equivalent)
	}
	sideEffects := p.spec.SideEffects
	if sideEffects == nil {
		sideEffects = ptr(admissionregistrationv1.SideEffectClassNone)
	}
	timeout := p.spec.TimeoutSeconds
	if timeout == nil {
		timeout = ptr(int32(10)) // the CRD's default
	}
	return "clusterwide-" + p.name + ".kubewarden.admission",
		admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle}, matchPolicy, sideEffects, timeout
}

// install creates the configuration kubewarden-controller creates from the policy, pointing at
// the recording webhook, and removes it when the test ends.
func (p deployPolicy) install(t *testing.T, ctx context.Context, r *webhookRecorder) {
	t.Helper()
	api := shared.client.AdmissionregistrationV1()
	name, clientConfig, matchPolicy, sideEffects, timeout := p.webhookFields(r.server.URL, r.caBundle)
	meta := metav1.ObjectMeta{Name: p.configurationName(), Labels: map[string]string{"app.kubernetes.io/part-of": "e2e-routing"}}
	var err error
	if p.spec.Mutating {
		_, err = api.MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: meta,
			Webhooks: []admissionregistrationv1.MutatingWebhook{{
				Name: name, ClientConfig: clientConfig, Rules: p.spec.Rules, FailurePolicy: p.spec.FailurePolicy,
				MatchPolicy: matchPolicy, NamespaceSelector: p.namespaceSelector(), ObjectSelector: p.spec.ObjectSelector,
				SideEffects: sideEffects, TimeoutSeconds: timeout, AdmissionReviewVersions: []string{"v1"},
				MatchConditions: p.spec.MatchConditions,
			}},
		}, metav1.CreateOptions{})
	} else {
		_, err = api.ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: meta,
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: name, ClientConfig: clientConfig, Rules: p.spec.Rules, FailurePolicy: p.spec.FailurePolicy,
				MatchPolicy: matchPolicy, NamespaceSelector: p.namespaceSelector(), ObjectSelector: p.spec.ObjectSelector,
				SideEffects: sideEffects, TimeoutSeconds: timeout, AdmissionReviewVersions: []string{"v1"},
				MatchConditions: p.spec.MatchConditions,
			}},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("the API server refuses the webhook configuration rendered from ClusterAdmissionPolicy %s: %v", p.name, err)
	}
	t.Cleanup(func() {
		var err error
		if p.spec.Mutating {
			err = api.MutatingWebhookConfigurations().Delete(context.Background(), p.configurationName(), metav1.DeleteOptions{})
		} else {
			err = api.ValidatingWebhookConfigurations().Delete(context.Background(), p.configurationName(), metav1.DeleteOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("removing webhook configuration %s: %v", p.configurationName(), err)
		}
	})
}
