"""The web app's services: what a page does beyond its request and response (the data
gateway to the core, forms' checks, downloads, locks and their records), one module per
area; routers/ holds the pages and the API, api_models.py the API's models."""
