package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// cluster is an etcd and a kube-apiserver on loopback, started for one test binary run.
type cluster struct {
	dir       string
	processes []*process
	config    *rest.Config
	client    *kubernetes.Clientset
}

// process is a started server; exited is closed when it ends.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// adminToken authenticates the tests as a member of system:masters (a static token file: no
// controller-manager runs to mint tokens).
const adminToken = "e2e-admin-token"

// binary is a tool built by `make kube-apiserver`; a missing one fails the run, never skips it.
func binary(name, env string) (string, error) {
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join("..", "..", "target", "tools", "bin", name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("%s not found at %s (run `make kube-apiserver`, or set %s): %w", name, abs, env, err)
	}
	return abs, nil
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// writeServiceAccountKey writes the key pair the API server signs and checks
// ServiceAccount tokens with.
func writeServiceAccountKey(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	private := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	public, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), private, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: public}), 0o600)
}

func (c *cluster) start(name string, args ...string) error {
	log, err := os.Create(filepath.Join(c.dir, filepath.Base(name)+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	c.processes = append(c.processes, p)
	return nil
}

// startCluster starts etcd and kube-apiserver and waits until the API server is ready.
func startCluster() (*cluster, error) {
	etcd, err := binary("etcd", "ETCD")
	if err != nil {
		return nil, err
	}
	apiserver, err := binary("kube-apiserver", "KUBE_APISERVER")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "native-e2e-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return c, err
		}
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := c.start(etcd, "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(ports[1]),
		"--unsafe-no-fsync", "--quota-backend-bytes", "4294967296"); err != nil {
		return c, err
	}
	if err := writeServiceAccountKey(dir); err != nil {
		return c, err
	}
	tokens := adminToken + ",e2e-admin,e2e-admin,\"system:masters\"\n"
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return c, err
	}
	certDir := filepath.Join(dir, "certs")
	if err := c.start(apiserver,
		"--etcd-servers", etcdURL,
		// Loopback only; no kubernetes Service endpoints to keep (an advertised address may
		// not be loopback).
		"--bind-address", "127.0.0.1", "--advertise-address", "192.0.2.1",
		"--endpoint-reconciler-type", "none",
		"--secure-port", strconv.Itoa(ports[2]), "--cert-dir", certDir,
		"--authorization-mode", "Node,RBAC",
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		// As kubeadm and every Antrea cluster: the agent runs privileged.
		"--allow-privileged",
		// The default plugins (ValidatingAdmissionPolicy and MutatingAdmissionPolicy among
		// them) and NodeRestriction, as a production API server runs.
		"--enable-admission-plugins", "NodeRestriction",
	); err != nil {
		return c, err
	}
	c.config = &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(ports[2]),
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(certDir, "apiserver.crt")},
		QPS:             500,
		Burst:           1000,
	}
	return c, c.waitReady(2 * time.Minute)
}

func (c *cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		for _, p := range c.processes {
			select {
			case <-p.exited:
				return fmt.Errorf("%s exited: see its log in %s", p.cmd.Path, c.dir)
			default:
			}
		}
		if _, err := os.Stat(c.config.TLSClientConfig.CAFile); err == nil {
			if c.client == nil {
				client, err := kubernetes.NewForConfig(c.config)
				if err != nil {
					return err
				}
				c.client = client
			}
			body, err := c.client.RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
			if err == nil && string(body) == "ok" {
				return nil
			}
			last = err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s: %v (logs in %s)", timeout, last, c.dir)
}

// stop ends the processes (API server first) and removes their data; logs are kept when
// the run failed.
func (c *cluster) stop(keepLogs bool) {
	for i := len(c.processes) - 1; i >= 0; i-- {
		p := c.processes[i]
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if keepLogs {
		fmt.Fprintf(os.Stderr, "API server and etcd logs kept in %s\n", c.dir)
		return
	}
	_ = os.RemoveAll(c.dir)
}

var shared *cluster

func TestMain(m *testing.M) {
	c, err := startCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the cluster:", err)
		if c != nil {
			c.stop(true)
		}
		os.Exit(1)
	}
	shared = c
	code := m.Run()
	c.stop(code != 0)
	os.Exit(code)
}
