// Package e2e runs the Kubernetes-native edition in a real kube-apiserver.
package e2e
