//! The requests on which the Gatekeeper edition once disagreed with the Kubewarden policy
//! (`gatekeeper_parity::regressions`, found by the bulk parity check on gator): the Kubewarden
//! policy gives the verdict each names, and the Rego agrees (gator's two engines judge them in
//! `make gatekeeper-parity`).

use gatekeeper_parity::regressions::regressions;
use gatekeeper_parity::{agree, kubewarden, Template};

#[test]
fn every_regression_gets_the_kubewarden_verdict() {
    for rule in ["antrea-hostpath-guard", "antrea-agent-status-updates"] {
        let mut template = Template::load(rule);
        for regression in regressions(rule) {
            let (request, settings) = (&regression.request(), &regression.settings);
            let (verdict, agreement) = match rule {
                "antrea-hostpath-guard" => {
                    let evaluate = antrea_hostpath_guard::evaluate;
                    (
                        kubewarden(evaluate, request, settings),
                        agree(&mut template, evaluate, request, settings),
                    )
                }
                _ => {
                    let evaluate = antrea_agent_status_updates::evaluate;
                    (
                        kubewarden(evaluate, request, settings),
                        agree(&mut template, evaluate, request, settings),
                    )
                }
            };
            assert_eq!(
                verdict.is_err(),
                regression.rejected,
                "{rule} {}: {verdict:?}",
                regression.name
            );
            agreement.unwrap_or_else(|e| panic!("{rule} {}: {e}", regression.name));
        }
    }
}
