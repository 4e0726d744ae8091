from django.urls import path, re_path

from pacte.accounts import scim_views

app_name = "scim"
urlpatterns = [
    path(
        "ServiceProviderConfig",
        scim_views.service_provider_config,
        name="service_provider_config",
    ),
    path("ResourceTypes", scim_views.resource_types, name="resource_types"),
    path("ResourceTypes/<str:name>", scim_views.resource_types, name="resource_type"),
    path("Schemas", scim_views.schemas, name="schemas"),
    path("Schemas/<str:schema_id>", scim_views.schemas, name="schema"),
    path(".search", scim_views.search_everything, name="search"),
    path("Users/.search", scim_views.users_search, name="users_search"),
    path("Groups/.search", scim_views.groups_search, name="groups_search"),
    path("Users", scim_views.users, name="users"),
    path("Users/<str:uuid>", scim_views.user, name="user"),
    path("Groups", scim_views.groups, name="groups"),
    path("Groups/<str:uuid>", scim_views.group, name="group"),
    re_path(r"^(?P<rest>.*)$", scim_views.not_found, name="not_found"),
]
