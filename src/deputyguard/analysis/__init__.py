"""The analyzer: adversarial requests, rules DG001–DG019, findings, verdicts, baselines."""
