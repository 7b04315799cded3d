from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "regionhub.accounts"
    label = "accounts"
    verbose_name = "Accounts"
