"""Product commands on a written dataset (OUT): validate, export, report, preview."""
