"""The training program: the template, dosing, workload caps, adapting doses to the athlete's
log, session types and the independent validator. A stage."""
