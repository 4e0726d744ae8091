"""Mapping a file's columns to the fields of an import: guesses from the header."""

from __future__ import annotations

import re
import unicodedata

from pacte.sales.models import MappingProfile

#: Column names (normalised: lower case, no accents, words joined by "_") a field is guessed
#: from, in order of preference, in English and French as spreadsheets and CRMs name them.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external_id",
        "id",
        "sale_id",
        "order",
        "order_id",
        "order_number",
        "invoice",
        "invoice_id",
        "invoice_number",
        "reference",
        "ref",
        "numero",
        "n",
        "no",
        "commande",
        "numero_de_commande",
        "n_commande",
        "facture",
        "numero_de_facture",
        "n_facture",
        "n_de_commande",
        "n_de_facture",
        "sales_order_id",
        "identifiant",
        "id_vente",
    ),
    "date": (
        "date",
        "order_date",
        "sale_date",
        "invoice_date",
        "date_de_vente",
        "date_vente",
        "date_de_commande",
        "date_commande",
        "date_de_facture",
        "date_facture",
    ),
    "amount": (
        "amount",
        "montant",
        "total",
        "subtotal",
        "sub_total",
        "net",
        "net_amount",
        "revenue",
        "sales",
        "montant_ht",
        "montant_net",
        "total_ht",
        "ca",
        "chiffre_d_affaires",
        "ca_ht",
    ),
    "channel": ("channel", "canal", "sales_channel", "canal_de_vente"),
    "seller": (
        "seller",
        "vendeur",
        "sales_person",
        "salesperson",
        "email",
        "seller_email",
        "e_mail",
        "rep",
        "sales_rep",
        "commercial",
        "courriel",
        "email_vendeur",
    ),
    "split": ("split", "splits", "split_credits", "partage", "credits_partages"),
    "overlay": ("overlay", "overlays", "credits_complementaires", "specialiste"),
    "currency": ("currency", "devise", "monnaie"),
    "customer": (
        "customer",
        "client",
        "account",
        "customer_name",
        "account_name",
        "compte",
        "nom_client",
        "raison_sociale",
    ),
    "territory": ("territory", "territoire", "region", "secteur", "zone"),
    "solution": ("solution", "offre", "offer"),
}


def column_key(name: str) -> str:
    """A column name as ``COLUMN_ALIASES`` lists it: "N° de commande" → "n_de_commande",
    "OrderDate" → "order_date"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", plain)  # "OrderDate" → "Order_Date"
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def guess_mapping(columns: list[str], profile: MappingProfile | None = None) -> dict[str, str]:
    """A profile's mapping where its columns exist, else columns named like the fields (each
    column used once, the more specific fields first)."""
    if profile is not None:
        return {k: v for k, v in profile.mapping.items() if v in columns}
    normal: dict[str, str] = {}
    for column in columns:
        normal.setdefault(column_key(column), column)
    found: dict[str, str] = {}
    for target, names in COLUMN_ALIASES.items():
        for name in names:
            match = normal.get(name)
            if match is not None and match not in found.values():
                found[target] = match
                break
    return found
