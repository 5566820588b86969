"""covariates stage."""
