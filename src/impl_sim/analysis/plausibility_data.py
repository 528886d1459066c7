"""Published ranges for the model's inputs and intermediate quantities (the plausibility table).

Data only; :mod:`impl_sim.analysis.plausibility` checks the model against it. These are *checks*,
not calibration targets: nothing is tuned to them one at a time. Each row names where its range
comes from (found with a literature search; the address is where the passage was read) and how
the model's value is obtained:

* ``parameter``: the schema's default of an input;
* ``outcome``: a simulated quantity in the default world (outcome name or ``SERIES@MONTH``), with
  ``per`` scaling it to ``post_year`` (per therapist post and year) or ``service_year``;
* ``effect``: a standardised mean difference (Cohen's d) of ``outcome`` between ``arms``
  ``[reference, compared]``, with the pooled standard deviation across replications.

Currency conversions and band widths that are not in the source are marked "assumed".
"""

from __future__ import annotations

from typing import Any

PLAUSIBILITY_ROWS: list[dict[str, Any]] = [
    {
        "id": "P1", "quantity": "Therapist turnover (input)",
        "parameter": "therapists.annual_turnover", "range": [0.25, 0.60],
        "unit": "share of therapists leaving per year",
        "source": "Psychiatric Services 2008, 59(7):732, doi 10.1176/ps.2008.59.7.732 "
                  "(mental health agencies ≈25–50 %/year); J Behav Health Serv Res 2019, "
                  "doi 10.1007/s11414-018-09645-1 "
                  "(community behavioural health 30–60 %/year)",
        "url": "https://psychiatryonline.org/doi/10.1176/ps.2008.59.7.732",
    },
    {
        "id": "P2", "quantity": "Therapist turnover (simulated leavers)",
        "outcome": "leavers_cumulative@59", "per": "post_year", "range": [0.25, 0.60],
        "unit": "leavers per therapist post and year",
        "source": "as P1; the simulated rate includes the climate and pressure effects on the "
                  "hazard",
        "url": "https://psychiatryonline.org/doi/10.1176/ps.2008.59.7.732",
    },
    {
        "id": "P3", "quantity": "Leader turnover (input)",
        "parameter": "leaders.annual_turnover", "range": [0.10, 0.60],
        "unit": "share of leaders leaving per year",
        "source": "no rate specific to first-level leaders found; bounds: the 10 %/year "
                  "considered healthy for organisations and the 60 %/year upper staff rate in "
                  "community behavioural health (doi 10.1007/s11414-018-09645-1); Beidas et al. "
                  "2016 (doi 10.1007/s10488-015-0673-6) study supervisor turnover with "
                  "clinicians'. Weak range",
        "url": "https://link.springer.com/article/10.1007/s11414-018-09645-1",
    },
    {
        "id": "P4", "quantity": "Leadership → implementation climate (effect size)",
        "effect": "climate@training_end",
        "arms": [{"leaders.style": "passive_support"},
                 {"leaders.style": "implementation_leadership"}],
        "range": [0.46, 1.38], "unit": "Cohen's d",
        "source": "Williams et al. 2020, Implementation Science 15:10: organisations improving "
                  "from low to high implementation leadership gained EBP implementation climate, "
                  "d = 0.92 (band ± 50 %, width assumed). The model's d uses the spread across "
                  "replications of whole 10-service systems, narrower than between organisations, "
                  "so it overstates d",
        "url": "https://implementationscience.biomedcentral.com/articles/10.1186/s13012-020-0970-7",
    },
    {
        "id": "P5", "quantity": "Training completion",
        "outcome": "training_completion", "range": [0.38, 0.90],
        "unit": "share of enrolled therapists completing training",
        "source": "Amaya-Jackson et al. 2018 (NC TF-CBT learning collaborative: 111 of 124 "
                  "completed training, 0.90); Miron & Scheeringa (Louisiana, lighter training "
                  "model: 45 of 117 in consultation reached advanced training, 0.38)",
        "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC6064171",
    },
    {
        "id": "P6", "quantity": "CPP cases per trained therapist",
        "outcome": "cases_per_trained_therapist", "range": [2.0, 4.0],
        "unit": "cases started per trained therapist",
        "source": "Amaya-Jackson et al. 2018 (281 clients started by 111 trained clinicians in "
                  "the 12-month collaborative, ≈2.5); Norwegian TF-CBT reports (≈3.2, F10); "
                  "Pernebo et al. 2024 (CPP in Sweden: few clinicians treated many cases)",
        "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC6064171",
    },
    {
        "id": "P7", "quantity": "Family completion in community services",
        "outcome": "completion_rate", "range": [0.28, 0.83],
        "unit": "share of families who finish treatment",
        "source": "de Haan et al. 2013, Clinical Psychology Review (dropout in effectiveness "
                  "studies of youth outpatient care 17–72 %)",
        "url": "https://div12.org/a-meta-analysis-of-treatment-dropout-in-child-and-adolescent"
               "-outpatient-care/",
    },
    {
        "id": "P8", "quantity": "Training cost per trainee (input)",
        "parameter": "training.cost_per_trainee", "range": [0.0, 34000.0],
        "unit": "EUR per trainee",
        "source": "Crome et al. 2017, Australian Health Review 41(1):82 (didactic training up to "
                  "A$9,000; with supervision and forgone income above A$55,000 per practitioner; "
                  "EUR at 0.62 per A$, rate assumed)",
        "url": "http://www.publish.csiro.au/AH/AH15129",
    },
    {
        "id": "P9", "quantity": "Running cost of the programme per service",
        "outcome": "cost_implementation", "per": "service_year", "range": [30000.0, 90000.0],
        "unit": "EUR per service and year",
        "source": "Psychiatric Services 2017, doi 10.1176/appi.ps.201600193 (TF-CBT "
                  "sustainment: agencies spent $65,192 a year on incremental costs, excluding "
                  "external trainers; ≈60,000 EUR, "
                  "band ± 50 % assumed). The model's implementation cost includes the training "
                  "itself; the therapists' session time (cost_delivery) is not counted here",
        "url": "https://psychiatryonline.org/doi/10.1176/appi.ps.201600193",
    },
]
