"""Messages the install page shows an administrator, in Russian and English.

NOTE: a plain dict until the app adopts Flask-Babel catalogs.
"""

DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "installed": "The application is installed. Bitrix24 opens it in a moment.",
        "missing_fields": (
            "The install request is incomplete. Open the application from the "
            "Bitrix24 Applications menu to install it."
        ),
        "oauth_server_not_allowed": (
            "The install request names an authorization server this application "
            "does not trust. Ask the application operator to check "
            "B24_OAUTH_SERVERS."
        ),
        "verification_failed": (
            "The Bitrix24 authorization server could not be reached to confirm "
            "the installation. Try again in a few minutes."
        ),
        "token_rejected": (
            "Bitrix24 did not confirm the installation token. Reopen the "
            "application from Bitrix24 and try again."
        ),
        "wrong_client": (
            "The installation token belongs to another application. Check the "
            "application code and key in the application settings."
        ),
        "member_mismatch": "The install request does not match this Bitrix24 account.",
        "domain_mismatch": (
            "The install request names a different Bitrix24 address than the one "
            "Bitrix24 confirmed. The installation was stopped."
        ),
        "portal_not_allowed": (
            "This Bitrix24 address is not allowed for this application. Ask the "
            "application operator to check B24_PORTAL_DOMAINS."
        ),
        "not_admin": (
            "Only a Bitrix24 administrator can install this application. Ask an "
            "administrator to open it from the Applications menu."
        ),
        "invalid_fields": (
            "The install request contains invalid characters. Open the application "
            "from the Bitrix24 Applications menu to install it."
        ),
        "missing_scopes": (
            "The application lacks access permissions it needs: {detail}. Add them "
            "in the application settings and reinstall."
        ),
        "binding_failed": (
            "The application could not register its event handlers and widgets in "
            "Bitrix24. Try installing again; if it fails again, contact support."
        ),
        "step_failed": (
            "The application could not finish its setup ({detail}). Try installing "
            "again; if it fails again, contact support."
        ),
    },
    "ru": {
        "installed": "Приложение установлено. Битрикс24 сейчас откроет его.",
        "missing_fields": (
            "Запрос на установку неполный. Откройте приложение из раздела "
            "«Приложения» Битрикс24, чтобы установить его."
        ),
        "oauth_server_not_allowed": (
            "Запрос на установку указывает сервер авторизации, которому приложение "
            "не доверяет. Попросите администратора приложения проверить "
            "B24_OAUTH_SERVERS."
        ),
        "verification_failed": (
            "Не удалось связаться с сервером авторизации Битрикс24, чтобы "
            "подтвердить установку. Повторите попытку через несколько минут."
        ),
        "token_rejected": (
            "Битрикс24 не подтвердил токен установки. Откройте приложение из "
            "Битрикс24 ещё раз и повторите попытку."
        ),
        "wrong_client": (
            "Токен установки принадлежит другому приложению. Проверьте код и ключ "
            "приложения в его настройках."
        ),
        "member_mismatch": "Запрос на установку не относится к этому Битрикс24.",
        "domain_mismatch": (
            "Запрос на установку указывает не тот адрес Битрикс24, который "
            "подтвердил Битрикс24. Установка остановлена."
        ),
        "portal_not_allowed": (
            "Этот адрес Битрикс24 не разрешён для приложения. Попросите "
            "администратора приложения проверить B24_PORTAL_DOMAINS."
        ),
        "not_admin": (
            "Установить приложение может только администратор Битрикс24. Попросите "
            "администратора открыть его из раздела «Приложения»."
        ),
        "invalid_fields": (
            "Запрос на установку содержит недопустимые символы. Откройте приложение "
            "из раздела «Приложения» Битрикс24, чтобы установить его."
        ),
        "missing_scopes": (
            "У приложения нет нужных прав доступа: {detail}. Добавьте их в "
            "настройках приложения и установите его заново."
        ),
        "binding_failed": (
            "Приложению не удалось зарегистрировать обработчики событий и виджеты в "
            "Битрикс24. Повторите установку; если ошибка повторится, обратитесь в "
            "поддержку."
        ),
        "step_failed": (
            "Приложению не удалось завершить настройку ({detail}). Повторите "
            "установку; если ошибка повторится, обратитесь в поддержку."
        ),
    },
}

# Reasons whose detail is safe and useful to show the admin.
SHOWN_DETAILS = frozenset({"missing_scopes", "step_failed"})


def pick_language(lang: str | None) -> str:
    """Return `lang` if there are messages in it, else the default language."""
    lang = (lang or "").lower()[:2]
    return lang if lang in MESSAGES else DEFAULT_LANGUAGE


def message(reason: str, lang: str, detail: str = "") -> str:
    """Return the admin message for `reason` in `lang`."""
    texts = MESSAGES[pick_language(lang)]
    text = texts.get(reason, texts["binding_failed"])
    return text.format(detail=detail if reason in SHOWN_DETAILS else "")
